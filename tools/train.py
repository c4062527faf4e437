"""Train a model with MMEngine's Runner (MMPose / MMPretrain style).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]
"""
import argparse
import os
import sys

import torch
from mmengine.runner import Runner

import classroomkd_mm  # noqa: F401  registers the plugin and safe checkpoint loading
from classroomkd_mm.engine.launch import (UserError, load_config, run_tool,
                                          set_local_rank_env, setup_launcher, work_dir_for)

# Where each launcher leaves the number of processes and this process's global rank.
WORLD_ENV = dict(pytorch=('WORLD_SIZE', 'RANK'), slurm=('SLURM_NTASKS', 'SLURM_PROCID'),
                 mpi=('OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_RANK'))


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model (ClassroomKD or any config)')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate linearly with the global batch size '
                        '(against the config\'s auto_scale_lr.base_batch_size)')
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
    configure_lr_scaling(cfg, args.launcher, args.auto_scale_lr)
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


def configure_lr_scaling(cfg, launcher: str, auto_scale_lr: bool) -> None:
    """``--auto-scale-lr``, or a warning (on rank 0) that the global batch has changed."""
    if auto_scale_lr:
        if not cfg.get('auto_scale_lr', {}).get('base_batch_size'):
            raise UserError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    size_env, rank_env = WORLD_ENV.get(launcher, (None, None))
    world_size = int(os.environ.get(size_env, 1)) if size_env else 1
    warning = batch_size_warning(cfg, world_size, auto_scale_lr)
    if warning and int(os.environ.get(rank_env, 0)) == 0:
        print(warning, file=sys.stderr)


def batch_size_warning(cfg, world_size: int, auto_scale_lr: bool):
    """A warning when N processes change the global batch the config's lr was set for."""
    base = cfg.get('auto_scale_lr', {}).get('base_batch_size')
    batch = cfg.train_dataloader.batch_size
    if world_size == 1 or auto_scale_lr or not base or base == world_size * batch:
        return None
    return (f'warning: the learning rate of this config is set for a global batch of {base} '
            f'(auto_scale_lr.base_batch_size), but {world_size} processes x batch {batch} '
            f'make {world_size * batch}. Pass --auto-scale-lr to scale it linearly, or set '
            f'train_dataloader.batch_size={max(base // world_size, 1)}. BatchNorm statistics '
            'stay per process unless --cfg-options sync_bn=torch (docs/reproduction.md, '
            '"Eight GPUs").')


if __name__ == '__main__':
    run_tool(main)
