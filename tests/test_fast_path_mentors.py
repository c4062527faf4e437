"""The mentor fast path on the mentors of the shipped classrooms: each answers like its
eager self in fp32, runs finite in bf16, survives ``.to(torch.float64)``, and leaves the
classroom loss unchanged."""
import copy
import logging

import pytest
import torch
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import InstanceData

from classroomkd_mm.engine import read_config
from classroomkd_mm.fast_path import TOLERANCES, FastMentor
from classroomkd_mm.fast_path.checks import relative_deviation, tensors_of
from fast_path_utils import fast_path_log  # noqa: F401  (a fixture)
from fast_path_utils import near_initial_batchnorm
from log_capture import logged_messages
from runner_utils import no_sync_bn_no_pretrained, save_zoo_checkpoint, walk

IMAGENET = 'configs/imagenet/classroom_resnet34_regnety320.py'
MPII = 'configs/mpii/litehrnet-18_classroom_same.py'
COCO = 'configs/coco/rtmpose-t_classroom.py'
# name: (classroom config, mentor name there, scope, input (H, W), BatchNorms folded / all)
MENTORS = {
    'swin_t': ('configs/cifar100/classroom_resnet18_swin_t.py', 'swin_t', 'mmpretrain',
               (224, 224), '0 of 0'),
    'squeezenet1_1': (IMAGENET, 'squeezenet1_1', 'mmpretrain', (64, 64), '0 of 0'),
    'regnety_002': (IMAGENET, 'regnety_320', 'mmpretrain', (64, 64), '44 of 44'),
    'regnety_016': (IMAGENET, 'regnety_016', 'mmpretrain', (64, 64), '86 of 86'),
    'efficientnet_b0': ('configs/cifar100/classroom_mobilenetv2_efficientnet_b0.py',
                        'efficientnet_b0_teacher', 'mmpretrain', (32, 32), '49 of 49'),
    'mobilenet_v2': (IMAGENET, 'mobilenet_v2', 'mmpretrain', (64, 64), '52 of 52'),
    'efficientnet_b3': (IMAGENET, 'efficientnet_b3', 'mmpretrain', (64, 64), '78 of 78'),
    # LiteHRNet's blocks take lists of branches, which torch.fx cannot iterate, and its
    # ConvModules take optional inputs: their BatchNorms stay (see the log line).
    'litehrnet-30': (MPII, 'litehrnet-30', 'mmpose', (64, 64), '193 of 337'),
    'hrnet-w32_dark': (MPII, 'hrnet-w32_dark', 'mmpose', (64, 64), '292 of 292'),
    'rtmpose-s': (COCO, 'rtmpose-s', 'mmpose', (256, 192), '39 of 39'),
}


def shipped_mentor_cfg(arch: str, **changes) -> dict:
    """The mentor's model config as its shipped classroom config gives it."""
    config, name = MENTORS[arch][:2]
    spec = next(m for m in read_config(config).model.mentors if m['name'] == name)
    model = read_config(spec['config']).model if 'config' in spec else spec['model']
    if arch == 'regnety_002':  # the ImageNet teacher's family, small enough for a test
        changes.setdefault('model_name', 'regnety_002')
    return dict(walk(copy.deepcopy(model), no_sync_bn_no_pretrained), **changes)


def build_mentor(arch, **changes):
    """The mentor (seeded, BatchNorms :func:`near_initial_batchnorm`) and a batch for it."""
    init_default_scope(MENTORS[arch][2])
    torch.manual_seed(0)
    mentor = near_initial_batchnorm(MODELS.build(shipped_mentor_cfg(arch, **changes)))
    return mentor, torch.randn(2, 3, *MENTORS[arch][3])


def weights_dtype(module):
    return next(module.parameters()).dtype


@pytest.mark.parametrize('arch', list(MENTORS))
def test_fast_path_answers_like_the_eager_mentor(arch, fast_path_log):
    mentor, inputs = build_mentor(arch)
    with torch.no_grad():
        eager = mentor(inputs, None, mode='tensor')

    fast = FastMentor(copy.deepcopy(mentor), name=arch)
    assert relative_deviation(fast(inputs), eager) <= TOLERANCES[torch.float32]
    fast.to(torch.float64)  # as the Runner's .to('cuda') would: after the probe
    output = fast(inputs)
    assert weights_dtype(fast.mentor) == torch.float64
    assert all(t.dtype == torch.float32 for t in tensors_of(output))
    assert relative_deviation(output, eager) <= TOLERANCES[torch.float32]

    bf16 = FastMentor(mentor, dtype='bfloat16', name=arch)
    output = bf16(inputs)
    assert weights_dtype(bf16.mentor) == torch.bfloat16
    assert all(torch.isfinite(t).all() for t in tensors_of(output))
    assert relative_deviation(output, eager) <= TOLERANCES[torch.bfloat16]

    fp32_line, bf16_line = fast_path_log()
    folded, batchnorms = MENTORS[arch][-1].split(' of ')
    assert fp32_line.startswith(f"mentor fast path: '{arch}' passes its probe")
    assert f'{folded} of {batchnorms} BatchNorms folded' in fp32_line and 'float32' in fp32_line
    assert 'passes its probe' in bf16_line and 'bfloat16' in bf16_line
    assert ('not traced: ' in fp32_line) == (folded != batchnorms)
    if arch == 'litehrnet-30':  # the log says why
        assert 'not traced: backbone (TraceError: symbolically traced variables cannot be ' \
               'used as inputs to control flow)' in fp32_line
        assert 'backbone.stem.conv1 (forward takes optional inputs (activate, norm) that ' \
               'tracing would freeze)' in fp32_line


def losses_with_and_without_fast_path(cfg, inputs, samples):
    torch.manual_seed(0)
    eager = MODELS.build(cfg)
    fast = MODELS.build(dict(cfg, mentor_fast_path=dict()))
    fast.student.load_state_dict(eager.student.state_dict())
    return eager.train()(inputs, samples, mode='loss'), fast.train()(inputs, samples, mode='loss')


def saved_mentor(arch, tmp_path, **changes):
    """A mentor entry of a classroom config, with its weights in a checkpoint file."""
    mentor, _ = build_mentor(arch, **changes)
    path = save_zoo_checkpoint(mentor, str(tmp_path / f'{arch}.pth'))
    return dict(name=arch, model=shipped_mentor_cfg(arch, **changes), checkpoint=path)


def test_classifier_classroom_loss_is_unchanged(tmp_path):
    from mmpretrain.structures import DataSample
    mentors = [saved_mentor('squeezenet1_1', tmp_path, num_classes=10),
               saved_mentor('regnety_016', tmp_path, num_classes=10)]
    for mentor in mentors:
        mentor['input_size'] = 64
    cfg = dict(type='ClassroomKDDistiller', mentors=mentors,
               student=dict(type='CifarClassifier', arch='resnet8', num_classes=10))
    samples = [DataSample().set_gt_label(i % 10) for i in range(4)]
    with logged_messages(logging.INFO) as messages:
        expected, got = losses_with_and_without_fast_path(cfg, torch.randn(4, 3, 32, 32),
                                                          samples)
    for name in ('squeezenet1_1', 'regnety_016'):  # the distiller names each mentor once
        assert sum(f"mentor fast path: '{name}'" in m for m in messages) == 1, messages
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.allclose(got[key], value, rtol=1e-4, atol=1e-5), key


def test_pose_classroom_loss_is_unchanged(tmp_path):
    from mmpose.structures import PoseDataSample
    mentor = saved_mentor('rtmpose-s', tmp_path)
    student = walk(read_config(COCO).model.student, no_sync_bn_no_pretrained)
    cfg = dict(type='ClassroomKDDistiller', mentors=[mentor], student=student)
    generator = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        sample = PoseDataSample(metainfo=dict(input_size=(192, 256)))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.ones(1, 17),
            keypoint_x_labels=torch.rand(1, 17, 384, generator=generator),
            keypoint_y_labels=torch.rand(1, 17, 512, generator=generator))
        samples.append(sample)
    expected, got = losses_with_and_without_fast_path(cfg, torch.randn(2, 3, 256, 192),
                                                      samples)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.allclose(got[key], value, rtol=1e-4, atol=1e-5), key
