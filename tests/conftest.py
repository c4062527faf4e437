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


@pytest.fixture(scope='session')
def lsp_slice_annotations(tmp_path_factory):
    """The shipped LSP Extended slice (60 images) in COCO form: 40 train, 20 test."""
    from runner_utils import DATA, REPO
    sys.path.insert(0, os.path.join(REPO, 'tools', 'data'))
    from lsp_to_coco import convert
    return convert(os.path.join(DATA, 'lsp_slice'),
                   str(tmp_path_factory.mktemp('lsp_slice_annotations')), train_images=40)
