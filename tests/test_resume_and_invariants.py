"""A real run leaves the mentors untouched, and an interrupted run resumes to the same losses."""
import copy
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from classroomkd_mm.engine import read_config
from runner_utils import on_coco_tiny, short_cpu_run
from test_pose_classroom import with_local_mentors
from test_tools import write_tiny_classroom

LOSS = re.compile(r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/\d+\].*?  loss: (\S+)')


def deterministic(cfg: Config, pipeline: list) -> Config:
    cfg.train_dataloader.dataset.pipeline = pipeline
    cfg.randomness = dict(seed=0, deterministic=True)
    return cfg


def cls_config(tmp_path, cifar10_tiny):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(write_tiny_classroom(tmp_path, cifar10_tiny))
    return deterministic(cfg, [dict(type='LoadImageFromFile'), dict(type='PackInputs')])


def pose_config(tmp_path):
    init_default_scope('mmpose')
    cfg = read_config('configs/coco/rtmpose-t_classroom.py')
    cfg = with_local_mentors(on_coco_tiny(short_cpu_run(cfg, '', 4, max_epochs=2,
                                                         keep_checkpoints=True)), tmp_path)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.train_cfg.val_interval = 100
    pipeline = list(cfg.val_pipeline) + [dict(type='GenerateTarget', encoder=cfg.codec)]
    pipeline[-2], pipeline[-1] = pipeline[-1], pipeline[-2]  # targets before packing
    return deterministic(cfg, pipeline)


def run(cfg: Config, work_dir: str, resume_from=None):
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.visualizer.name = f'visualizer:{work_dir}'
    if resume_from:
        cfg.resume, cfg.load_from = True, resume_from
    runner = Runner.from_cfg(cfg)
    runner.train()
    with open(runner.logger.handlers[-1].baseFilename) as f:
        losses = {(int(e), int(i)): l for e, i, l in LOSS.findall(f.read())}
    return runner, losses


@pytest.mark.parametrize('task', ['classification', 'pose'])
def test_resume_continues_exactly(task, tmp_path, cifar10_tiny):
    cfg = cls_config(tmp_path, cifar10_tiny) if task == 'classification' else pose_config(
        tmp_path)
    _, straight = run(cfg, str(tmp_path / 'straight'))
    # What a run killed during epoch 2 leaves behind. (A run configured for 1 epoch would
    # not do: MMEngine clips its schedulers' end to its max_epochs.)
    checkpoint = str(tmp_path / 'straight' / 'epoch_1.pth')
    assert not any(k.startswith('mentors.') for k in torch.load(checkpoint)['state_dict'])
    _, resumed = run(cfg, str(tmp_path / 'resumed'), resume_from=checkpoint)
    second_epoch = {key: value for key, value in straight.items() if key[0] == 2}
    assert second_epoch and {k: v for k, v in resumed.items() if k[0] == 2} == second_epoch


def test_mentors_stay_bit_identical_and_out_of_the_optimizer(tmp_path, cifar10_tiny):
    cfg = cls_config(tmp_path, cifar10_tiny)
    # The fast path swaps each mentor for its BN-folded copy on the first batch, by design
    # (test_fast_mentor.py); here the eager mentors must leave training as they were loaded.
    cfg.model.mentor_fast_path = None
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    mentors = runner.model.mentors
    loaded = {name: {k: v.clone() for k, v in m.state_dict().items()}
              for name, m in mentors.items()}
    runner.train()
    for name, mentor in mentors.items():
        for key, value in mentor.state_dict().items():
            assert torch.equal(value, loaded[name][key]), f'{name}.{key} changed'
    in_optimizer = {id(p) for group in runner.optim_wrapper.optimizer.param_groups
                    for p in group['params']}
    assert in_optimizer == {id(p) for p in runner.model.student.parameters()}
