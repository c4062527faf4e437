"""Every config under configs/ loads and builds its model (mentor checkpoints switched off)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from runner_utils import REPO

CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in osp.relpath(p, REPO))


def test_configs_are_found():
    assert len(CONFIGS) > 90


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config_builds(path):
    import classroomkd_mm  # noqa: F401
    cfg = Config.fromfile(path)
    init_default_scope(cfg.default_scope)
    model_cfg = cfg.model
    if cfg.get('data_preprocessor') and model_cfg.get('type') != 'TorchvisionClassifier':
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)  # as the Runner does
    for mentor in model_cfg.get('mentors', []):
        mentor.checkpoint = None
    model = MODELS.build(model_cfg)
    if model_cfg.type == 'ClassroomKDDistiller':
        assert list(model.mentors) == [m.name for m in model_cfg.mentors]
