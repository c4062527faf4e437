"""classroomkd_mm/models/cifar_classifier.py: ``ckd.build_cifar_classifier``."""
import glob
import os.path as osp

import pytest
from mmengine.registry import MODELS, DefaultScope

from classroomkd_mm.compat import load_checkpoint_file
from runner_utils import DATA


@pytest.mark.parametrize('scope', ['mmpretrain', 'mmpose'])
def test_builds_an_image_classifier_from_either_default_scope(scope):
    from mmpretrain.models import ImageClassifier
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(dict(type='ckd.build_cifar_classifier', arch='resnet8',
                                  num_classes=10, data_preprocessor=dict(
                                      type='ClsDataPreprocessor', mean=[1, 2, 3], std=[1, 1, 1])))
    assert type(model) is ImageClassifier and type(model.backbone).__name__ == 'CifarResNet'
    assert model.head.num_classes == 10 and model.head.fc.in_features == 64
    assert model.data_preprocessor.mean.flatten().tolist() == [1, 2, 3]  # an override


def test_every_shipped_mentor_loads_strictly_into_the_classifier_it_builds():
    paths = sorted(glob.glob(osp.join(DATA, 'cifar10_mentors', '*.pth')))
    assert len(paths) == 6
    for path in paths:
        model = MODELS.build(dict(type='ckd.build_cifar_classifier',
                                  arch=osp.basename(path)[:-len('.pth')], num_classes=10))
        model.load_state_dict(load_checkpoint_file(path)['state_dict'])  # strict
