"""Evaluate a checkpoint with MMEngine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
                         [--launcher none|pytorch]

A ClassroomKD config is evaluated on its student alone: the mentors are not
built (``model.build_mentors=False``), so their checkpoints are neither
downloaded nor read.
"""
import argparse
import os.path as osp

from mmengine.runner import Runner

import classroomkd_mm  # noqa: F401
from classroomkd_mm.engine.launch import (UserError, load_config, run_tool,
                                          set_local_rank_env, setup_launcher, work_dir_for)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the logs go')
    parser.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    set_local_rank_env(args.local_rank)
    if not osp.isfile(args.checkpoint):
        raise UserError(f'checkpoint {args.checkpoint!r} does not exist')
    cfg = load_config(args.config, args.cfg_options)
    if cfg.model.get('type') == 'ClassroomKDDistiller':
        cfg.model.build_mentors = False  # evaluation needs the student only
    setup_launcher(cfg, args.launcher)
    cfg.work_dir = work_dir_for(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    run_tool(main)
