"""`make demo`: a ClassroomKD run on the bundled CIFAR-10 subset, end to end on the CPU.

1. unpack the subset (tools/data/prepare_cifar10.py);
2. train the mentors alone: a ResNet-20 teacher, ResNet-14 and MobileNetV2 peers;
3. train the ResNet-8 student alone (NOKD) and with ClassroomKD;
4. print every model's top-1 and write work_dirs/cifar10_demo/results.json.

A stage whose result is already recorded is skipped, so a rerun finishes at once
and an interrupted run picks up where it stopped.
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
TRAIN_PER_CLASS, TEST_PER_CLASS = 200, 100
STANDALONE = 'configs/cifar10_demo/standalone.py'
# (name = work dir under WORK, role, config, config overrides)
STAGES = [
    ('resnet20', 'teacher', STANDALONE, {'model.arch': 'resnet20'}),
    ('resnet14', 'peer', STANDALONE, {'model.arch': 'resnet14'}),
    ('mobilenetv2', 'peer', STANDALONE, {'model.arch': 'mobilenetv2'}),
    ('resnet8_nokd', 'student', STANDALONE, {'model.arch': 'resnet8'}),
    ('resnet8_classroomkd', 'student', 'configs/cifar10_demo/classroom_resnet8.py', {}),
]


def train_and_test(config: str, work_dir: str, options: dict) -> float:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    cfg.train_cfg.val_interval = cfg.train_cfg.max_epochs + 1  # evaluated once, by test()
    runner = Runner.from_cfg(cfg)
    runner.train()
    return float(runner.test()['accuracy/top1'])


def main():
    os.chdir(REPO)
    start = time.time()
    prepare('data/cifar10_demo', TRAIN_PER_CLASS, TEST_PER_CLASS)
    results = json.load(open(RESULTS)) if osp.isfile(RESULTS) else {}
    for index, (name, role, config, options) in enumerate(STAGES, start=1):
        progress = f'[demo {index}/{len(STAGES)}, {time.time() - start:.0f} s]'
        if name in results:
            print(f'{progress} {name}: already trained ({results[name]:.2f}% top-1)')
            continue
        print(f'{progress} training {name} ({role})', flush=True)
        results[name] = train_and_test(config, osp.join(WORK, name), options)
        with open(RESULTS, 'w') as f:
            json.dump(results, f, indent=2)
    print(f'\nCIFAR-10 subset: {TRAIN_PER_CLASS * 10} training and {TEST_PER_CLASS * 10} '
          f'test images; {time.time() - start:.0f} s in all')
    print(f"{'model':<22}{'role':<9}{'top-1 (%)':>10}")
    for name, role, _, _ in STAGES:
        print(f'{name:<22}{role:<9}{results[name]:>10.2f}')


if __name__ == '__main__':
    main()
