"""Table 4's EfficientNet-B0 mentors of graded accuracy, picked from one training run.

    python tools/pick_graded_mentors.py work_dirs/efficientnet_b0 [--out DIR]

For each target of ``efficientnet_b0_targets`` (configs/cifar100/_base_/mentor_zoo.py),
takes the checkpoint ``epoch_N.pth`` whose validation top-1 (read from the run's
``scalars.json``) is nearest the target, each epoch used once, and saves its weights
where the mentor zoo expects them (``--out`` overrides the folder).
"""
import argparse
import os
import os.path as osp

import torch
from mmengine.config import Config

from classroomkd_mm.compat import load_checkpoint_file
from classroomkd_mm.engine.launch import UserError, run_tool
from classroomkd_mm.experiments.scalars import read_records, scalars_files

ZOO = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
               'configs', 'cifar100', '_base_', 'mentor_zoo.py')


def validation_top1(work_dir: str) -> dict:
    """``{epoch: top-1}`` of every validation in ``work_dir`` that left a checkpoint."""
    top1 = {record['step']: record['accuracy/top1'] for path in scalars_files(work_dir)
            for record in read_records(path) if 'accuracy/top1' in record}
    return {epoch: value for epoch, value in top1.items()
            if osp.isfile(osp.join(work_dir, f'epoch_{epoch}.pth'))}


def pick(targets: dict, top1: dict) -> dict:
    """``{mentor: epoch}``: the nearest unused epoch for each target, in target order."""
    chosen = {}
    for name, target in targets.items():
        free = [epoch for epoch in top1 if epoch not in chosen.values()]
        if not free:
            raise UserError(f'not enough checkpoints: nothing left for {name}')
        chosen[name] = min(free, key=lambda epoch: (abs(top1[epoch] - target), epoch))
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', help='the standalone/efficientnet_b0.py run')
    parser.add_argument('--out', help='folder for the picked weights (default: the zoo\'s)')
    args = parser.parse_args()
    zoo = Config.fromfile(ZOO)
    top1 = validation_top1(args.work_dir)
    if not top1:
        raise UserError(f'{args.work_dir}: no validated epoch_N.pth checkpoints found')
    for name, epoch in pick(zoo.efficientnet_b0_targets, top1).items():
        target = zoo.cifar100_mentors[name].checkpoint
        if args.out:
            target = osp.join(args.out, osp.basename(target))
        os.makedirs(osp.dirname(target) or '.', exist_ok=True)
        checkpoint = load_checkpoint_file(osp.join(args.work_dir, f'epoch_{epoch}.pth'))
        torch.save(dict(state_dict=checkpoint['state_dict'], meta=dict(epoch=epoch)), target)
        print(f'{name:26} target {zoo.efficientnet_b0_targets[name]:6.2f}  epoch {epoch:3d} '
              f'top-1 {top1[epoch]:6.2f}  -> {target}')


if __name__ == '__main__':
    run_tool(main)
