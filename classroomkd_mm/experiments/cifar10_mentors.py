"""Training a CIFAR-10 mentor with the recipe of the shipped ones (configs/cifar10/mentor.py).

The recipe runs through MMEngine's Runner (:mod:`.runs`). Mixed precision is bfloat16 on any
machine: MMEngine's ``AmpOptimWrapper`` on CUDA, ``ckd.CPUAmpOptimWrapper`` without CUDA.
The result is saved like the shipped mentors: ``{'state_dict': ...}`` with the classifier's
keys in float32, tensors only (it loads with ``weights_only=True``).
"""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config

from ..compat import load_checkpoint_file
from ..datasets.cifar10 import ARCHIVE
from ..engine.config_files import read_config
from . import runs
from .methods import configs_dir
from .progress import Stage


def mentor_config(arch: str, epochs: int = 30, batch_size: int = 256, peak_lr: float = 0.2,
                  wrong_label_fraction: float = 0.0, seed: int = 0, amp: bool = True,
                  train_per_class: Optional[int] = None, test_per_class: Optional[int] = None,
                  source: str = ARCHIVE) -> Config:
    """configs/cifar10/mentor.py for ``arch`` with these choices (the defaults are the
    recipe's)."""
    cfg = read_config(osp.join(configs_dir(), 'cifar10', 'mentor.py'))
    cfg.merge_from_dict({
        'model.arch': arch, 'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': epochs,
        'param_scheduler.total_steps': epochs, 'param_scheduler.eta_max': peak_lr,
        'optim_wrapper.optimizer.lr': peak_lr, 'default_hooks.checkpoint.interval': epochs,
        'train_dataloader.batch_size': batch_size, 'randomness.seed': seed,
        'train_dataloader.dataset.wrong_label_fraction': wrong_label_fraction,
        'train_dataloader.dataset.seed': seed,
        'train_dataloader.dataset.per_class': train_per_class,
        'test_dataloader.dataset.per_class': test_per_class,
        'train_dataloader.dataset.source': source, 'test_dataloader.dataset.source': source})
    if amp and torch.cuda.is_available():
        cfg.optim_wrapper.update(type='AmpOptimWrapper', dtype='bfloat16')
    elif amp:
        cfg.optim_wrapper.type = 'ckd.CPUAmpOptimWrapper'
    return cfg


def save_weights(work_dir: str, out: str) -> None:
    """The Runner's last checkpoint in ``work_dir`` as ``{'state_dict': ...}`` at ``out``."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = load_checkpoint_file(f.read().strip(), trusted=True)
    state = {key: value.float() if value.is_floating_point() else value
             for key, value in checkpoint['state_dict'].items()}
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(dict(state_dict=state), out)


def train_mentor(cfg: Config, out: str, progress: Optional[Stage] = None) -> float:
    """Train and test ``cfg`` (a :func:`mentor_config`), its logs, config and checkpoints in
    ``<out>.work/``; save the weights to ``out``; the test top-1 (%)."""
    work_dir = f'{out}.work'
    top1 = runs.train_and_test(cfg, work_dir, progress=progress)['accuracy/top1']
    save_weights(work_dir, out)
    return top1
