"""ClassroomKD against its baselines on real CIFAR-10 with strong mentors: the runs of
``tools/benchmarks/cifar10_methods.py``.

A ResNet-8 student learns from the shipped mentors (data/cifar10_mentors/) with each method
of :mod:`.methods`, and is tested on the test images:

- the clean classroom: the mentors of configs/cifar10/classroom_resnet8.py (the four
  strongest), every method;
- the noisy classroom: the same four plus the weak mentors of ``WEAK_MENTORS``, first
  trained here with the mentor recipe (:mod:`.cifar10_mentors`); ``NOISY_METHODS``.

Every run trains the method's config through MMEngine's Runner (:mod:`.runs`), with the
model, optimizer and schedule of the config (the schedule stretched to the scale's epochs),
on the config's fast data path (:func:`~classroomkd_mm.datasets.cifar10.use_in_memory_data`:
decoded images in memory, crop and flip on the device). The config of each run is dumped in
its work dir: ``tools/train.py`` trains it the same way.
"""
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config

from ..datasets.cifar10 import use_in_memory_data
from ..engine.config_files import read_config
from . import runs
from .cifar10_mentors import mentor_config, train_mentor
from .methods import configs_dir, method_config
from .results import ResultStore

SCALES = {  # training images per class, epochs
    'cpu': dict(train_per_class=150, epochs=12),
    'full': dict(train_per_class=5000, epochs=20),
}
# Weak mentors of the noisy classroom, trained by the mentor recipe on the full training set.
WEAK_MENTORS = {
    'resnet14_1epoch': dict(arch='resnet14', epochs=1),
    'resnet14_wrong60': dict(arch='resnet14', epochs=2, wrong_label_fraction=0.6),
}
METHODS = ('NOKD', 'KD', 'AVER', 'AVER α=λ', 'ClassroomKD', 'KF off', 'Mentoring off',
           'Method B', 'per-sample KF', 'DTKD', 'official-code parity')
NOISY_METHODS = ('AVER', 'AVER α=λ', 'KF off', 'ClassroomKD')


def machine() -> str:
    if torch.cuda.is_available():
        return f'{torch.cuda.get_device_name()} GPU'
    return f'{len(os.sched_getaffinity(0))}-core CPU container, no GPU'


def classroom_config() -> Config:
    return read_config(osp.join(configs_dir(), 'cifar10', 'classroom_resnet8.py'))


def run_config(classroom: Config, method: str, mentors: list, epochs: int, seed: int,
               train_per_class: Optional[int], test_per_class: Optional[int]) -> Config:
    """The config of one run: ``method`` on ``classroom`` with these mentors, over ``epochs``
    epochs (the config's cosine schedule stretched to them), seeded, on the fast data path."""
    cfg = Config(dict(classroom.to_dict(), model=dict(classroom.model.to_dict(),
                                                       mentors=mentors)))
    cfg = method_config(cfg, method)
    cfg.merge_from_dict({'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': epochs,
                         'param_scheduler.T_max': epochs,
                         'default_hooks.checkpoint.interval': epochs,
                         'randomness.seed': seed})
    use_in_memory_data(cfg, train_per_class, test_per_class)
    return cfg


def weak_mentor(name: str, work_dir: str, per_class: Optional[int] = None) -> dict:
    """Train a weak mentor (once); its mentor spec."""
    recipe = dict(WEAK_MENTORS[name])
    arch = recipe.pop('arch')
    path = osp.join(work_dir, 'mentors', f'{name}.pth')
    if not osp.isfile(path):
        train_mentor(mentor_config(arch, train_per_class=per_class, test_per_class=per_class,
                                   **recipe), path)
    return dict(name=name, model=dict(type='ckd.build_cifar_classifier', arch=arch,
                                      num_classes=10), checkpoint=path)


def mentor_top1(classroom: Config, spec: dict, work_dir: str,
                test_per_class: Optional[int]) -> float:
    """A mentor alone on the test images, as ``tools/test.py`` tests a checkpoint."""
    cfg = Config(dict(classroom.to_dict(), model=spec['model']))
    use_in_memory_data(cfg, None, test_per_class)
    return runs.test_checkpoint(cfg, spec['checkpoint'], work_dir)['accuracy/top1']


def run_key(scale: str, classroom: str, method: str, seed: int) -> str:
    return f'{scale}/{classroom}/{method}/seed{seed}'


def parse_key(key: str):
    scale, classroom, method, seed = key.split('/')
    return scale, classroom, method, int(seed[len('seed'):])


def run_all(store: ResultStore, work_dir: str, scale: str, classrooms: List[str],
            methods: List[str], seeds: List[int], rerun: bool = False,
            slice_per_class: Optional[int] = None,
            log: Callable[[str], None] = print) -> None:
    """Every run of the plan not yet in ``store`` (all of them with ``rerun``), recorded as
    it finishes: ``{'mentors': {name: {top1, machine}}, 'runs': {key: run}}``.

    ``slice_per_class``: a quick end-to-end check, N images per class for everything
    (students, tests, weak mentors) and one epoch, recorded under ``<scale>-slice``."""
    per_class, epochs = SCALES[scale]['train_per_class'], SCALES[scale]['epochs']
    test_per_class = None
    if slice_per_class:
        scale, per_class, test_per_class, epochs = (f'{scale}-slice', slice_per_class,
                                                    slice_per_class, 1)
    classroom = classroom_config()
    clean = [m.to_dict() for m in classroom.model.mentors]
    mentors = {'clean': clean}
    if 'noisy' in classrooms:
        mentors['noisy'] = clean + [weak_mentor(name, work_dir, slice_per_class)
                                    for name in WEAK_MENTORS]
    tested = store.get('mentors', {})
    for spec in mentors.get('noisy', clean):
        if spec['name'] not in tested:
            top1 = mentor_top1(classroom, spec, osp.join(work_dir, 'mentors', spec['name']),
                               test_per_class)
            tested[spec['name']] = dict(top1=top1, machine=machine())
            store.put('mentors', tested)
    plan = [(name, method, seed) for name in classrooms for seed in seeds for method in methods
            if name == 'clean' or method in NOISY_METHODS]
    done, start = store.get('runs', {}), time.time()
    for index, (name, method, seed) in enumerate(plan, start=1):
        key = run_key(scale, name, method, seed)
        if key in done and not rerun:
            continue
        log(f'[{index}/{len(plan)}, {time.time() - start:.0f} s] {key}')
        began = time.time()
        cfg = run_config(classroom, method, mentors[name], epochs, seed, per_class,
                         test_per_class)
        metrics = runs.train_and_test(cfg, osp.join(work_dir, 'runs', key))
        top1 = metrics.pop('accuracy/top1')
        done[key] = dict(
            top1=top1, telemetry=metrics, seconds=round(time.time() - began, 1),
            setup=dict(train_images=10 * per_class,
                       test_images=10 * test_per_class if test_per_class else 10000,
                       epochs=epochs, batch_size=cfg.train_dataloader.batch_size,
                       machine=machine(), torch=torch.__version__,
                       mentors=[m['name'] for m in mentors[name]]))
        store.put('runs', done)
        log(f'  top-1 {top1:.2f} % in {done[key]["seconds"]:.0f} s')


def runs_by_scale(results: Dict) -> Dict[str, Dict[str, Dict[str, Dict[int, dict]]]]:
    """``{scale: {classroom: {method: {seed: run}}}}`` of the recorded runs."""
    by_scale = {}
    for key, run in results.get('runs', {}).items():
        scale, classroom, method, seed = parse_key(key)
        by_scale.setdefault(scale, {}).setdefault(classroom, {}).setdefault(
            method, {})[seed] = run
    return by_scale
