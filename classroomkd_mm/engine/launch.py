"""Shared plumbing of ``tools/train.py`` and ``tools/test.py``: config loading and launchers."""
import os
import os.path as osp
import sys
from typing import List, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction

from .config_files import read_config


class UserError(Exception):
    """A mistake in the command line or config: reported in one line, no traceback."""


def brackets_balance(text: str) -> bool:
    depth = []
    for char in text:
        if char in '([{':
            depth.append(')]}'['([{'.index(char)])
        elif char in ')]}' and (not depth or depth.pop() != char):
            return False
    return not depth


def parse_cfg_options(pairs: Optional[List[str]]) -> dict:
    """``['a.b=1', 'c=[1,2]']`` → ``{'a.b': 1, 'c': [1, 2]}``, as MMEngine's DictAction."""
    options = {}
    for pair in pairs or []:
        key, sep, value = pair.partition('=')
        if not sep or not key:
            raise UserError(f'--cfg-options expects KEY=VALUE pairs, got {pair!r}')
        if not brackets_balance(value):
            raise UserError(f'--cfg-options {pair!r} does not parse: unbalanced brackets')
        try:
            options[key] = DictAction._parse_iterable(value)
        except Exception as error:  # DictAction raises assorted errors on bad brackets
            raise UserError(f'--cfg-options {pair!r} does not parse: {error}') from None
    return options


def load_config(path: str, cfg_options: Optional[List[str]]) -> Config:
    """The config at ``path`` with ``cfg_options``; whatever it is (a stock MMPose or
    MMPretrain config too), the Runner saves and loads its checkpoints weights-only
    (``ckd.WeightsOnlyCheckpointHook``, README "Checkpoints")."""
    options = parse_cfg_options(cfg_options)
    try:
        cfg = read_config(path)
    except FileNotFoundError as error:
        raise UserError(str(error)) from None
    cfg.merge_from_dict(options)
    cfg.setdefault('default_hooks', {}).setdefault(
        'weights_only_checkpoints', dict(type='ckd.WeightsOnlyCheckpointHook'))
    return cfg


def setup_launcher(cfg: Config, launcher: str) -> None:
    """Set ``cfg.launcher``; without CUDA, start a ``gloo`` process group on the CPU.

    MMEngine's own PyTorch launcher pins each rank to a CUDA device, so on a
    CUDA-less machine the group is started here and DDP wraps a CPU module.
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise UserError(f'--launcher {launcher} needs CUDA; on CPU use --launcher pytorch')
    cfg.env_cfg = cfg.get('env_cfg', {})
    cfg.env_cfg['dist_cfg'] = dict(backend='gloo')
    cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None,
                                 broadcast_buffers=False,
                                 find_unused_parameters=cfg.get('find_unused_parameters', False))
    if not dist.is_initialized():
        dist.init_process_group('gloo')


def run_tool(main) -> None:
    """Run ``main``; user errors end with a one-line message and exit code 2. A process group
    the run started is destroyed before the interpreter exits, as torch asks of a program."""
    try:
        main()
    except UserError as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def work_dir_for(cfg: Config, work_dir: Optional[str], config_path: str) -> str:
    if work_dir:
        return work_dir
    return cfg.get('work_dir') or osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])


def set_local_rank_env(local_rank: int) -> None:
    os.environ.setdefault('LOCAL_RANK', str(local_rank))
