"""ClassroomKDDistiller on a device: no host sync in the loss path, every tensor is made on
the inputs' device.

On the CPU, a ``TorchFunctionMode`` catches factory functions (``torch.zeros``,
``torch.arange``, ``torch.tensor``...) that code of this package calls in the
loss path without a ``device``: on a GPU each would be a host tensor (and a
copy). With CUDA, the loss paths run under ``torch.cuda.set_sync_debug_mode('error')``.
"""
import math
import os.path as osp
import sys
from contextlib import contextmanager

import pytest
import torch
from mmengine.registry import MODELS, init_default_scope
from torch.overrides import TorchFunctionMode

import classroomkd_mm
from classroom_utils import two_mentor_classroom
from pose_utils import model_cfg, pose_samples

PACKAGE = osp.dirname(classroomkd_mm.__file__)
TORCH = osp.dirname(torch.__file__)
FACTORIES = {torch.tensor, torch.as_tensor, torch.zeros, torch.ones, torch.full, torch.empty,
             torch.arange, torch.linspace, torch.eye, torch.rand, torch.randn, torch.randint}
POSE = 'mmpose::body_2d_keypoint/'


class FactoriesWithoutDevice(TorchFunctionMode):
    """Records where code of this package makes a tensor without naming a device."""

    def __init__(self):
        super().__init__()
        self.places = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        copies_a_tensor = func is torch.as_tensor and isinstance(args[0], torch.Tensor)
        if func in FACTORIES and 'device' not in kwargs and not copies_a_tensor:
            frame = sys._getframe(1)
            while frame is not None and frame.f_code.co_filename.startswith(TORCH):
                frame = frame.f_back
            if frame is not None and frame.f_code.co_filename.startswith(PACKAGE):
                self.places.append(f'{func.__name__} at '
                                   f'{osp.relpath(frame.f_code.co_filename, PACKAGE)}:'
                                   f'{frame.f_lineno}')
        return func(*args, **kwargs)


def classification_step(tmp_path, device, granularity):
    from mmpretrain.structures import DataSample
    init_default_scope('mmpretrain')
    distiller = MODELS.build(dict(two_mentor_classroom(tmp_path),
                                  kf=dict(granularity=granularity))).to(device)
    labels = torch.arange(6) % 10
    samples = [DataSample().set_gt_label(int(label)).to(device) for label in labels]
    return distiller.train(), torch.randn(6, 3, 32, 32, device=device), samples


def pose_step(device, student_config, mentor_config, granularity):
    """A pose classroom on a batch packed as MMPose's pipeline packs it (numpy keypoints)."""
    import numpy as np
    from mmengine.structures import InstanceData
    init_default_scope('mmpose')
    distiller = MODELS.build(dict(
        type='ClassroomKDDistiller', student=model_cfg(student_config),
        kf=dict(granularity=granularity),
        mentors=[dict(name='mentor', config=mentor_config)])).to(device)
    student = distiller.student
    k = student.head.out_channels
    samples = pose_samples(student, [[1.0] * k, [0.0] * k, [0.5] * k])
    width, height = student.head.decoder.input_size
    for sample in samples:
        sample.gt_instances = InstanceData()
        sample.gt_instances.transformed_keypoints = np.random.rand(1, k, 2) * [width, height]
    samples = [sample.to(device) for sample in samples]
    return distiller.train(), torch.randn(3, 3, height, width, device=device), samples


HEATMAP = (POSE + 'topdown_heatmap/mpii/td-hm_litehrnet-18_8xb64-210e_mpii-256x256.py',
           POSE + 'topdown_heatmap/mpii/td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py')
SIMCC = (POSE + 'rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py',
         POSE + 'rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py')


@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_classification_loss_makes_every_tensor_on_the_inputs_device(tmp_path, granularity):
    distiller, inputs, samples = classification_step(tmp_path, 'cpu', granularity)
    with FactoriesWithoutDevice() as mode:
        distiller(inputs, samples, mode='loss')
    assert mode.places == []


@pytest.mark.parametrize('configs', [HEATMAP, SIMCC], ids=['heatmap', 'simcc'])
@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_pose_loss_makes_every_tensor_on_the_inputs_device(configs, granularity):
    distiller, inputs, samples = pose_step('cpu', *configs, granularity)
    with FactoriesWithoutDevice() as mode:
        distiller(inputs, samples, mode='loss')
    assert mode.places == []


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')


@contextmanager
def syncs_raise(heads=()):
    """CUDA's sync debug mode set to raise, except inside the heads' own ``loss``
    (MMPose's heads compute a training accuracy with numpy: their own, upstream sync)."""
    originals = [(head, head.loss) for head in heads]
    for head, original in originals:
        def upstream(*args, _original=original, **kwargs):
            torch.cuda.set_sync_debug_mode('default')
            try:
                return _original(*args, **kwargs)
            finally:
                torch.cuda.set_sync_debug_mode('error')
        head.loss = upstream
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode('error')
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode('default')
        for head, _ in originals:
            del head.loss


@needs_cuda
@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_classification_loss_never_syncs_on_cuda(tmp_path, granularity):
    distiller, inputs, samples = classification_step(tmp_path, 'cuda', granularity)
    distiller(inputs, samples, mode='loss')  # warm-up: lazy CUDA initialisation syncs
    with syncs_raise():
        losses = distiller(inputs, samples, mode='loss')
    assert math.isfinite(float(losses['loss_distill']))


@needs_cuda
@pytest.mark.parametrize('configs', [HEATMAP, SIMCC], ids=['heatmap', 'simcc'])
@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_pose_loss_never_syncs_on_cuda(configs, granularity):
    distiller, inputs, samples = pose_step('cuda', *configs, granularity)
    distiller(inputs, samples, mode='loss')
    with syncs_raise([distiller.student.head]):
        losses = distiller(inputs, samples, mode='loss')
    assert math.isfinite(float(losses['loss_distill']))
