"""``make demo``: a ResNet-8 student with and without the shipped CIFAR-10 mentors, on the CPU.

1. unpack a CIFAR-10 subset (:func:`~classroomkd_mm.datasets.cifar10.prepare`);
2. test each mentor of configs/cifar10/classroom_resnet8.py (the four strongest of
   data/cifar10_mentors/, trained on all 50,000 training images) on the demo's test images;
3. train the ResNet-8 student alone (NOKD), with AVER and with ClassroomKD, each through
   MMEngine's Runner with the configs of configs/cifar10/, then test it;
4. print every model's top-1.

Each stage prints one line (a progress bar on a terminal); MMEngine's logs and configs go to
the work dir. On the CPU the runs are deterministic (``randomness.deterministic``, seeded
dataloader workers), so a rerun from scratch prints the same table. Finished stages are
recorded in ``<work dir>/results.json`` and skipped by a rerun.
"""
import os.path as osp
from typing import Callable, List, NamedTuple, TextIO

import torch
from mmengine.config import Config

from ..datasets.cifar10 import prepare
from . import runs
from .progress import Progress
from .results import ResultStore

DATA = 'data/cifar10_demo'
TRAIN_PER_CLASS, TEST_PER_CLASS = 500, 500
STANDALONE = 'configs/cifar10/standalone.py'
CLASSROOM = 'configs/cifar10/classroom_resnet8.py'
# (name = work dir under the demo's, what it is, config)
STUDENTS = [
    ('resnet8_nokd', 'student alone (NOKD)', STANDALONE),
    ('resnet8_aver', 'student, AVER', 'configs/cifar10/classroom_resnet8_aver.py'),
    ('resnet8_classroomkd', 'student, ClassroomKD', CLASSROOM),
]


class Stage(NamedTuple):
    name: str  # its key in results.json and its work dir
    what: str
    run: Callable[[str], dict]  # work dir -> test metrics


def stages(seed: int = 0) -> List[Stage]:
    """Every model of the demo, mentors first; the students trained with ``seed``."""
    options = {'randomness.seed': seed}
    if not torch.cuda.is_available():  # CUDA has no deterministic kernels for some ops
        options['randomness.deterministic'] = True
    mentors = [Stage(m.name, f'mentor ({m.model.arch})', lambda work_dir, m=m: runs.test_checkpoint(
        STANDALONE, m.checkpoint, work_dir, dict(options, **{'model.arch': m.model.arch})))
        for m in Config.fromfile(CLASSROOM).model.mentors]
    return mentors + [Stage(name, what, lambda work_dir, config=config: runs.train_and_test(
        config, work_dir, options)) for name, what, config in STUDENTS]


def run_demo(work: str, seed: int = 0, stream: TextIO = None) -> str:
    """Run (or resume) the demo with its work dir ``work``; its table."""
    todo = stages(seed)
    store = ResultStore(osp.join(work, 'results.json'))
    progress = Progress(len(todo) + 1, stream, label_width=44)
    with progress.stage('unpack the CIFAR-10 subset') as stage:
        stage.outcome = f'in {prepare(DATA, TRAIN_PER_CLASS, TEST_PER_CLASS)}/'
    for name, what, run in todo:
        label = f'{"test" if what.startswith("mentor") else "train and test"} {name}'
        if name in store:
            progress.skip(label, top1(store.get(name)))
            continue
        with progress.stage(label) as stage:
            store.put(name, run(osp.join(work, name)))
            stage.outcome = top1(store.get(name))
    epochs = Config.fromfile(CLASSROOM).train_cfg.max_epochs
    lines = [f'CIFAR-10: {TRAIN_PER_CLASS * 10} training images (the first {TRAIN_PER_CLASS} '
             f'of each class), {TEST_PER_CLASS * 10} test images; students trained {epochs} '
             f'epochs (seed {seed})',
             f"{'model':<22}{'what':<24}{'top-1 (%)':>10}"]
    lines += [f"{name:<22}{what:<24}{store.get(name)['accuracy/top1']:>10.2f}"
              for name, what, _ in todo]
    return '\n'.join(lines)


def top1(metrics: dict) -> str:
    return f"{metrics['accuracy/top1']:.2f} % top-1"
