"""`make demo`: a ResNet-8 student with and without the shipped CIFAR-10 mentors, on the CPU.

1. unpack a CIFAR-10 subset (tools/data/prepare_cifar10.py);
2. test each mentor of configs/cifar10/classroom_resnet8.py (the four strongest of
   data/cifar10_mentors/, trained on all 50,000 training images) on the demo's test images;
3. train the ResNet-8 student alone (NOKD), with AVER and with ClassroomKD, each through
   MMEngine's Runner with the configs of configs/cifar10/;
4. print every model's top-1 and write work_dirs/cifar10_demo/results.json.

A stage whose result is already recorded is skipped, so a rerun finishes at once and an
interrupted run picks up where it stopped.
"""
import json
import os
import os.path as osp
import sys
import time

from mmengine.config import Config
from mmengine.runner import Runner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
from prepare_cifar10 import prepare  # noqa: E402

import classroomkd_mm  # noqa: E402,F401

WORK = 'work_dirs/cifar10_demo'
RESULTS = osp.join(WORK, 'results.json')
TRAIN_PER_CLASS, TEST_PER_CLASS = 500, 500
STANDALONE = 'configs/cifar10/standalone.py'
CLASSROOM = 'configs/cifar10/classroom_resnet8.py'
# (name = work dir under WORK, what it is, config)
STUDENTS = [
    ('resnet8_nokd', 'student alone (NOKD)', STANDALONE),
    ('resnet8_aver', 'student, AVER', 'configs/cifar10/classroom_resnet8_aver.py'),
    ('resnet8_classroomkd', 'student, ClassroomKD', CLASSROOM),
]


def runner_for(config: str, work_dir: str, options: dict) -> Runner:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    return Runner.from_cfg(cfg)


def train_and_test(config: str, work_dir: str) -> float:
    """Train through the Runner, then test the last epoch once; top-1 (%)."""
    runner = runner_for(config, work_dir, {'val_cfg': None, 'val_dataloader': None,
                                           'val_evaluator': None})
    runner.train()
    return float(runner.test()['accuracy/top1'])


def test_checkpoint(arch: str, checkpoint: str, work_dir: str) -> float:
    """A shipped mentor alone, as tools/test.py would test it; top-1 (%)."""
    runner = runner_for(STANDALONE, work_dir, {'model.arch': arch, 'load_from': checkpoint})
    return float(runner.test()['accuracy/top1'])


def stages():
    """``(name, what, run)`` of every stage, mentors first."""
    mentors = Config.fromfile(CLASSROOM).model.mentors
    listed = [(m.name, f'mentor ({m.model.arch})',
               lambda m=m: test_checkpoint(m.model.arch, m.checkpoint, osp.join(WORK, m.name)))
              for m in mentors]
    return listed + [(name, what, lambda name=name, config=config: train_and_test(
        config, osp.join(WORK, name))) for name, what, config in STUDENTS]


def main():
    os.chdir(REPO)
    start = time.time()
    prepare('data/cifar10_demo', TRAIN_PER_CLASS, TEST_PER_CLASS)
    results = json.load(open(RESULTS)) if osp.isfile(RESULTS) else {}
    todo = stages()
    for index, (name, what, run) in enumerate(todo, start=1):
        progress = f'[demo {index}/{len(todo)}, {time.time() - start:.0f} s]'
        if name in results:
            print(f'{progress} {name}: done before ({results[name]:.2f}% top-1)')
            continue
        print(f'{progress} {name}: {what}', flush=True)
        results[name] = run()
        os.makedirs(WORK, exist_ok=True)
        with open(RESULTS, 'w') as f:
            json.dump(results, f, indent=2)
    epochs = Config.fromfile(CLASSROOM).train_cfg.max_epochs
    print(f'\nCIFAR-10: {TRAIN_PER_CLASS * 10} training images (the first {TRAIN_PER_CLASS} of '
          f'each class), {TEST_PER_CLASS * 10} test images; students trained {epochs} epochs; '
          f'{time.time() - start:.0f} s in all')
    print(f"{'model':<22}{'what':<24}{'top-1 (%)':>10}")
    for name, what, _ in todo:
        print(f'{name:<22}{what:<24}{results[name]:>10.2f}')


if __name__ == '__main__':
    main()
