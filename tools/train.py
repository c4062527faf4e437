"""Train a model with MMEngine's Runner (MMPose / MMPretrain style).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                          [--cfg-options k=v ...] [--launcher none|pytorch]
"""
import argparse

import torch
from mmengine.runner import Runner

import classroomkd_mm  # noqa: F401  registers the plugin and safe checkpoint loading
from classroomkd_mm.engine.launch import (load_config, run_tool, set_local_rank_env,
                                          setup_launcher, work_dir_for)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model (ClassroomKD or any config)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE',
                        help='override config keys, e.g. train_cfg.max_epochs=10')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args()


def main():
    args = parse_args()
    set_local_rank_env(args.local_rank)
    cfg = load_config(args.config, args.cfg_options)
    setup_launcher(cfg, args.launcher)
    cfg.work_dir = work_dir_for(cfg, args.work_dir, args.config)
    if args.amp and torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif args.amp:  # CPU: bfloat16 autocast
        cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    run_tool(main)
