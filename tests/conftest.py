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


@pytest.fixture(scope='session')
def cifar10_tiny():
    """20 training and 10 test JPEGs per class, unpacked once per machine."""
    from runner_utils import DATA, REPO
    sys.path.insert(0, os.path.join(REPO, 'tools', 'data'))
    from prepare_cifar10 import prepare
    return prepare(os.path.join(DATA, 'cifar10_tests'), 20, 10)
