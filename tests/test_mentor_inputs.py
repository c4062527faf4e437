"""Each mentor's inputs: its own normalisation and channel order, and resampling conventions."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.model import BaseDataPreprocessor
from mmengine.registry import MODELS
from mmpretrain.structures import DataSample

from classroomkd_mm.core.resample import resize_images
from log_capture import logged_messages
from runner_utils import DATA, save_zoo_checkpoint

IMAGE = sorted(glob.glob(osp.join(DATA, 'coco_tiny', '*.jpg')))[0]
STUDENT_PREPROCESSOR = dict(type='ClsDataPreprocessor', mean=[125.3, 123.0, 113.9],
                            std=[63.0, 62.1, 66.7])  # BGR kept, as loaded
RGB_PREPROCESSOR = dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                        std=[58.395, 57.12, 57.375], to_rgb=True)


def classifier(arch='resnet8', **overrides):
    return dict(type='CifarClassifier', arch=arch, num_classes=10, **overrides)


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


@pytest.mark.usefixtures('pretrain_scope')
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


@pytest.mark.usefixtures('pretrain_scope')
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


@pytest.mark.usefixtures('pretrain_scope')
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


@pytest.mark.usefixtures('pretrain_scope')
def test_unknown_normalisation_is_reported_at_build(tmp_path):
    with logged_messages() as messages:
        distiller = classroom(tmp_path, dict(model=classifier(
            data_preprocessor=dict(type='OpaquePreprocessor'))))
    assert not distiller.mentor_inputs['mentor'].converts
    assert messages == ["the data preprocessor of mentor 'mentor' (OpaquePreprocessor) does "
                        "not say how it normalises images, so mentor 'mentor' receives the "
                        "student's inputs unconverted"]


def real_image(size=64):
    return cv2.imread(IMAGE)[:size, :size].astype(np.float32)


@pytest.mark.parametrize('size', [(224, 224), (48, 40)])
def test_image_resizing_is_cv2s_half_pixel_bilinear(size):
    image = real_image()
    batch = torch.from_numpy(image).permute(2, 0, 1)[None].contiguous()
    expected = cv2.resize(image, size[::-1], interpolation=cv2.INTER_LINEAR)
    resized = resize_images(batch, size, 'half_pixel')[0].permute(1, 2, 0).numpy()
    assert np.abs(resized - expected).max() < 1e-3
    grid = resize_images(batch, size, 'grid')[0].permute(1, 2, 0).numpy()
    assert np.abs(grid - expected).max() > 1.0  # the pose convention would shift the image


@pytest.mark.usefixtures('pretrain_scope')
def test_classifier_mentor_at_another_size_sees_the_cv2_resize(tmp_path):
    distiller = classroom(tmp_path, dict(model=classifier(), input_size=(48, 40)))
    data = distiller.data_preprocessor(raw_batch(), True)
    received = first_layer_inputs(distiller, data['inputs'], data['data_samples'])
    expected = np.stack([cv2.resize(image.permute(1, 2, 0).numpy(), (40, 48),
                                    interpolation=cv2.INTER_LINEAR) for image in data['inputs']])
    assert np.abs(received.permute(0, 2, 3, 1).numpy() - expected).max() < 1e-4


def test_topdown_crops_of_one_box_relate_in_the_grid_convention():
    # MMPose's TopdownAffine maps the box centre to (w/2, h/2): a 384x288 crop of a box is
    # its 256x192 crop resampled with x2 = x1 · 288/192, not with half-pixel centres.
    from mmpose.datasets.transforms import TopdownAffine
    image = cv2.imread(IMAGE).astype(np.float32)

    def crop(size):
        results = dict(img=image.copy(), img_shape=image.shape[:2],
                       bbox_center=np.array([[320.0, 240.0]], np.float32),
                       bbox_scale=np.array([[150.0, 200.0]], np.float32),
                       bbox_rotation=np.zeros(1, np.float32))
        return torch.from_numpy(TopdownAffine(input_size=size)(results)['img'])

    small, large = crop((192, 256)), crop((288, 384))
    errors = {}
    for convention in ('grid', 'half_pixel'):
        resampled = resize_images(small.permute(2, 0, 1)[None], (384, 288), convention)
        errors[convention] = (resampled[0].permute(1, 2, 0) - large)[8:-8, 8:-8].abs().mean()
    assert errors['grid'] < 0.6 * errors['half_pixel']
