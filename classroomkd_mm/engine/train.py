"""``tools/train.py`` as a library: its command line and the config it hands to the Runner.

    cfg = train_config(train_parser().parse_args([CONFIG, '--amp']))
    Runner.from_cfg(cfg).train()
"""
import argparse
import os
import sys
from typing import Optional

import torch
from mmengine.config import Config

from .launch import UserError, load_config, set_local_rank_env, setup_launcher, work_dir_for

# Where each launcher leaves the number of processes and this process's global rank.
WORLD_ENV = dict(pytorch=('WORLD_SIZE', 'RANK'), slurm=('SLURM_NTASKS', 'SLURM_PROCID'),
                 mpi=('OMPI_COMM_WORLD_SIZE', 'OMPI_COMM_WORLD_RANK'))


def train_parser() -> argparse.ArgumentParser:
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
    return parser


def train_config(args: argparse.Namespace) -> Config:
    """The config ``tools/train.py`` runs for ``args``: loaded, overridden, launcher,
    work dir, learning-rate scaling, AMP and resume set."""
    set_local_rank_env(args.local_rank)
    cfg = load_config(args.config, args.cfg_options)
    setup_launcher(cfg, args.launcher)
    cfg.work_dir = work_dir_for(cfg, args.work_dir, args.config)
    configure_lr_scaling(cfg, args.launcher, args.auto_scale_lr)
    if args.amp and torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    elif args.amp:  # CPU: bfloat16 autocast
        if cfg.get('default_scope') == 'mmpose':
            raise UserError('--amp without CUDA autocasts to bfloat16, whose outputs MMPose\'s '
                            'heads cannot convert to numpy; train pose configs on the CPU '
                            'without --amp (on CUDA, --amp uses float16 and works)')
        cfg.optim_wrapper.type = 'ckd.CPUAmpOptimWrapper'
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def base_batch_size(cfg: Config) -> Optional[int]:
    """``auto_scale_lr.base_batch_size``; None where a config has none (the LSP configs set
    ``auto_scale_lr = None``)."""
    return (cfg.get('auto_scale_lr') or {}).get('base_batch_size')


def configure_lr_scaling(cfg: Config, launcher: str, auto_scale_lr: bool) -> None:
    """``--auto-scale-lr``, or a warning (on rank 0) that the global batch has changed."""
    if auto_scale_lr:
        if not base_batch_size(cfg):
            raise UserError('--auto-scale-lr needs auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    size_env, rank_env = WORLD_ENV.get(launcher, (None, None))
    world_size = int(os.environ.get(size_env, 1)) if size_env else 1
    warning = batch_size_warning(cfg, world_size, auto_scale_lr)
    if warning and int(os.environ.get(rank_env, 0)) == 0:
        print(warning, file=sys.stderr)


def batch_size_warning(cfg: Config, world_size: int, auto_scale_lr: bool) -> Optional[str]:
    """A warning when N processes change the global batch the config's lr was set for."""
    base = base_batch_size(cfg)
    batch = cfg.train_dataloader.batch_size
    if world_size == 1 or auto_scale_lr or not base or base == world_size * batch:
        return None
    return (f'warning: the learning rate of this config is set for a global batch of {base} '
            f'(auto_scale_lr.base_batch_size), but {world_size} processes x batch {batch} '
            f'make {world_size * batch}. Pass --auto-scale-lr to scale it linearly, or set '
            f'train_dataloader.batch_size={max(base // world_size, 1)}. BatchNorm statistics '
            'stay per process unless --cfg-options sync_bn=torch (docs/reproduction.md, '
            '"Eight GPUs").')
