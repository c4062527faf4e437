"""``tools/test.py`` as a library: its command line and the config it hands to the Runner.

    args = evaluation_parser().parse_args([CONFIG, CHECKPOINT])
    Runner.from_cfg(evaluation_config(args)).test()
"""
import argparse
import os.path as osp

from mmengine.config import Config

from .launch import UserError, load_config, set_local_rank_env, setup_launcher, work_dir_for


def evaluation_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the logs go')
    parser.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def evaluation_config(args: argparse.Namespace) -> Config:
    """The config ``tools/test.py`` runs for ``args``. A ClassroomKD config is evaluated on
    its student alone: its mentors are not built, so their checkpoints are neither
    downloaded nor read."""
    set_local_rank_env(args.local_rank)
    if not osp.isfile(args.checkpoint):
        raise UserError(f'checkpoint {args.checkpoint!r} does not exist')
    cfg = load_config(args.config, args.cfg_options)
    if cfg.model.get('type') == 'ClassroomKDDistiller':
        cfg.model.build_mentors = False
    setup_launcher(cfg, args.launcher)
    cfg.work_dir = work_dir_for(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint
    return cfg
