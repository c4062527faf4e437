"""Each mentor's inputs: its own normalisation and channel order, read from the public
configuration of its data preprocessor, and its own input size."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.model import BaseDataPreprocessor
from mmengine.registry import MODELS
from mmpretrain.structures import DataSample

from classroomkd_mm.adapters import Normalisation, read_normalisation
from log_capture import logged_messages
from runner_utils import DATA, save_zoo_checkpoint

pytestmark = pytest.mark.usefixtures('pretrain_scope')

IMAGE = sorted(glob.glob(osp.join(DATA, 'coco_tiny', '*.jpg')))[0]
STUDENT_PREPROCESSOR = dict(type='ClsDataPreprocessor', mean=[125.3, 123.0, 113.9],
                            std=[63.0, 62.1, 66.7])  # BGR kept, as loaded
RGB_PREPROCESSOR = dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                        std=[58.395, 57.12, 57.375], to_rgb=True)


def classifier(arch='resnet8', **overrides):
    return dict(type='ckd.build_cifar_classifier', arch=arch, num_classes=10, **overrides)


def raw_batch(size=32):
    """Two real 3-channel crops of a COCO photo, BGR uint8, as the dataloader packs them."""
    image = cv2.imread(IMAGE)
    crops = [image[:size, :size], image[100:100 + size, 200:200 + size]]
    return dict(inputs=[torch.from_numpy(np.ascontiguousarray(c)).permute(2, 0, 1)
                        for c in crops],
                data_samples=[DataSample().set_gt_label(label) for label in (1, 7)])


def classroom(tmp_path, mentor, **options):
    """Student and one mentor; ``mentor`` holds the mentor's model or config keys."""
    spec = dict(name='mentor', **mentor)
    if 'model' in mentor:
        spec['checkpoint'] = save_zoo_checkpoint(MODELS.build(mentor['model']),
                                                 str(tmp_path / 'mentor.pth'))
    return MODELS.build(dict(type='ClassroomKDDistiller',
                             student=classifier(data_preprocessor=STUDENT_PREPROCESSOR),
                             mentors=[spec], **options))


def first_layer_inputs(distiller, inputs, samples):
    """The tensor the mentor's backbone received during one loss step."""
    seen = []
    hook = distiller.mentors['mentor'].backbone.register_forward_pre_hook(
        lambda module, args: seen.append(args[0]))
    distiller.train()(inputs, samples, mode='loss')
    hook.remove()
    return seen[0]


def test_the_normalisation_is_read_from_the_preprocessors_configuration():
    from mmpose.models import PoseDataPreprocessor
    cfg = dict(mean=[1.0, 2.0, 3.0], std=[4.0, 5.0, 6.0], bgr_to_rgb=True)
    normalisation = read_normalisation(cfg, PoseDataPreprocessor(**cfg))
    assert [t.tolist() for t in normalisation[:2]] == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert normalisation.swap_channels
    plain = read_normalisation(None, PoseDataPreprocessor())  # the class defaults
    assert [t.tolist() for t in plain[:2]] == [[0.0] * 3, [1.0] * 3] and not plain.swap_channels
    grey = read_normalisation(dict(mean=[127.5], std=[127.5], rgb_to_bgr=True),
                              PoseDataPreprocessor(mean=[127.5], std=[127.5]))
    assert grey.mean.tolist() == [127.5] * 3 and grey.swap_channels
    assert isinstance(read_normalisation(RGB_PREPROCESSOR, MODELS.build(RGB_PREPROCESSOR)),
                      Normalisation)
    assert read_normalisation(dict(mean=[1.0]), BaseDataPreprocessor()) is None


def test_mentor_with_other_mean_std_and_channel_order_gets_its_own_inputs(tmp_path):
    distiller = classroom(tmp_path, dict(model=classifier(data_preprocessor=RGB_PREPROCESSOR)))
    assert distiller.mentor_inputs['mentor'].converts
    data = distiller.data_preprocessor(raw_batch(), True)
    own = distiller.mentors['mentor'].data_preprocessor(raw_batch(), True)['inputs']
    assert not torch.allclose(data['inputs'], own, atol=0.1)
    converted = distiller.mentor_inputs['mentor'](data['inputs'])
    assert torch.allclose(converted, own, atol=1e-5)
    received = first_layer_inputs(distiller, data['inputs'], data['data_samples'])
    assert torch.allclose(received, own, atol=1e-5)


def test_config_mentor_takes_the_files_top_level_preprocessor(tmp_path):
    # MMPretrain configs keep `data_preprocessor` at the top level, beside `model`.
    config = 'mmpretrain::resnet/resnet18_8xb16_cifar10.py'
    distiller = classroom(tmp_path, dict(config=config))
    from classroomkd_mm.engine import read_config
    expected = MODELS.build(dict(read_config(config).data_preprocessor,
                                 type='mmpretrain.ClsDataPreprocessor'))
    data = distiller.data_preprocessor(raw_batch(), True)
    converted = distiller.mentor_inputs['mentor'](data['inputs'])
    assert torch.allclose(converted, expected(raw_batch(), True)['inputs'], atol=1e-5)


def test_mentor_naming_no_preprocessor_shares_the_students(tmp_path):
    distiller = classroom(tmp_path, dict(model=classifier('resnet14')))
    assert not distiller.mentor_inputs['mentor'].converts
    same = classroom(tmp_path, dict(model=classifier(data_preprocessor=STUDENT_PREPROCESSOR)))
    assert not same.mentor_inputs['mentor'].converts


@MODELS.register_module(force=True)
class OpaquePreprocessor(BaseDataPreprocessor):
    """A preprocessor that does not expose how it normalises."""

    def __init__(self, **kwargs):
        super().__init__()


def test_unknown_normalisation_is_reported_at_build(tmp_path):
    with logged_messages() as messages:
        distiller = classroom(tmp_path, dict(model=classifier(
            data_preprocessor=dict(type='OpaquePreprocessor'))))
    assert not distiller.mentor_inputs['mentor'].converts
    assert messages == ["the data preprocessor of mentor 'mentor' (OpaquePreprocessor) does "
                        "not say how it normalises images, so mentor 'mentor' receives the "
                        "student's inputs unconverted"]


def test_classifier_mentor_at_another_size_sees_the_cv2_resize(tmp_path):
    distiller = classroom(tmp_path, dict(model=classifier(), input_size=(48, 40)))
    assert distiller.mentor_inputs['mentor'].size == (48, 40)
    data = distiller.data_preprocessor(raw_batch(), True)
    received = first_layer_inputs(distiller, data['inputs'], data['data_samples'])
    expected = np.stack([cv2.resize(image.permute(1, 2, 0).numpy(), (40, 48),
                                    interpolation=cv2.INTER_LINEAR) for image in data['inputs']])
    assert np.abs(received.permute(0, 2, 3, 1).numpy() - expected).max() < 1e-4
