import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(__file__))  # runner_utils
torch.set_num_threads(2)


@pytest.fixture
def pretrain_scope():
    from mmengine.registry import init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpretrain')


@pytest.fixture
def pose_scope():
    from mmengine.registry import init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpose')
