"""classroomkd_mm.engine.train: the learning rate against the global batch of N processes."""
import os.path as osp

import pytest

from runner_utils import REPO


def test_eight_processes_on_a_single_gpu_recipe_warn():
    from classroomkd_mm.engine import read_config
    from classroomkd_mm.engine import train as train_tool
    cfg = read_config(osp.join(REPO, 'configs/cifar100/classroom_resnet20_resnet110.py'))
    warning = train_tool.batch_size_warning(cfg, world_size=8, auto_scale_lr=False)
    assert 'global batch of 64' in warning and '8 processes x batch 64 make 512' in warning
    assert '--auto-scale-lr' in warning and 'batch_size=8' in warning and 'sync_bn' in warning
    assert train_tool.batch_size_warning(cfg, world_size=1, auto_scale_lr=False) is None
    assert train_tool.batch_size_warning(cfg, world_size=8, auto_scale_lr=True) is None
    cfg.train_dataloader.batch_size = 8  # 8 x 8 = the recipe's 64
    assert train_tool.batch_size_warning(cfg, world_size=8, auto_scale_lr=False) is None


def test_auto_scale_lr_needs_a_base_batch_size(tmp_path):
    from mmengine.config import Config

    from classroomkd_mm.engine import train as train_tool
    cfg = Config(dict(train_dataloader=dict(batch_size=4)))
    with pytest.raises(train_tool.UserError, match='auto_scale_lr.base_batch_size'):
        train_tool.configure_lr_scaling(cfg, 'none', auto_scale_lr=True)
    cfg.auto_scale_lr = None  # as the LSP configs set it: no scaling, no crash
    with pytest.raises(train_tool.UserError, match='auto_scale_lr.base_batch_size'):
        train_tool.configure_lr_scaling(cfg, 'none', auto_scale_lr=True)
    assert train_tool.batch_size_warning(cfg, world_size=8, auto_scale_lr=False) is None
    cfg.auto_scale_lr = dict(base_batch_size=64)
    train_tool.configure_lr_scaling(cfg, 'none', auto_scale_lr=True)
    assert cfg.auto_scale_lr.enable is True
