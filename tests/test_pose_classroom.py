"""ClassroomKD on MMPose: the shipped COCO and MPII classrooms through the Runner, and bad input."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.registry import MODELS
from mmengine.runner import Runner

from classroomkd_mm.engine import read_config
from runner_utils import (no_sync_bn_no_pretrained, on_coco_tiny, on_mpii_tiny,
                          save_zoo_checkpoint, short_cpu_run, walk)

pytestmark = pytest.mark.usefixtures('pose_scope')

MPII = 'mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
COCO = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/'


def model_cfg(config_path):
    return walk(read_config(config_path).model, no_sync_bn_no_pretrained)


def with_local_mentors(cfg, tmp_path):
    """Mentors cannot be downloaded here: each gets a seeded random checkpoint file."""
    for index, mentor in enumerate(cfg.model.mentors):
        torch.manual_seed(index)
        model = MODELS.build(model_cfg(mentor.config))
        mentor.checkpoint = save_zoo_checkpoint(model, str(tmp_path / f'{mentor.name}.pth'))
    return cfg


def read_scalars(work_dir):
    [path] = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize('config, dataset, metric, batch_size', [
    ('configs/coco/rtmpose-t_classroom.py', on_coco_tiny, 'coco/AP', 4),
    ('configs/mpii/litehrnet-18_classroom_same.py', on_mpii_tiny, 'PCK', 2),
    ('configs/mpii/litehrnet-18_classroom_mixed.py', on_mpii_tiny, 'PCK', 2),
])
def test_pose_classroom_trains_validates_and_logs_the_classroom(config, dataset, metric,
                                                                  batch_size, tmp_path):
    cfg = dataset(short_cpu_run(read_config(config), str(tmp_path / 'work'), batch_size))
    cfg = with_local_mentors(cfg, tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val()
    assert 0.0 <= metrics[metric] <= 100.0
    names = [m.name for m in cfg.model.mentors]
    logged = read_scalars(cfg.work_dir)
    train_steps = [r for r in logged if 'loss_distill' in r]
    assert len(train_steps) == len(runner.train_dataloader)
    for record in train_steps:
        assert {f'{kind}/{name}' for kind in ('rank', 'temp', 'active', 'active_rate')
                for name in names} | {'rank/student', 'loss_kpt', 'loss_distill'} <= set(record)
    assert all(not m.training for m in runner.model.mentors.modules())


@pytest.fixture
def mpii_student():
    return dict(model_cfg(MPII + 'td-hm_litehrnet-18_8xb64-210e_mpii-256x256.py'),
                metainfo=dict(from_file='configs/_base_/datasets/mpii.py'))


def build_classroom(student, **mentor):
    return MODELS.build(dict(type='ClassroomKDDistiller', student=student,
                             mentors=[dict(dict(name='mentor'), **mentor)]))


def test_keypoint_count_mismatch_is_refused(mpii_student):
    with pytest.raises(ValueError, match='predicts 17 keypoints but the student predicts 16'):
        build_classroom(mpii_student, model=model_cfg(COCO + 'td-hm_res50_8xb64-210e_coco-256x192.py'))


def test_keypoint_order_mismatch_is_refused(mpii_student, tmp_path):
    mentor_cfg = model_cfg(MPII + 'td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py')
    student = MODELS.build(mpii_student)
    names = student.metainfo['keypoint_id2name']
    swapped = {**names, 0: names[5], 5: names[0]}
    path = save_zoo_checkpoint(MODELS.build(mentor_cfg), str(tmp_path / 'm.pth'),
                                  dict(keypoint_id2name=swapped))
    with pytest.raises(ValueError, match='orders its keypoints'):
        build_classroom(mpii_student, model=mentor_cfg, checkpoint=path)
    in_order = save_zoo_checkpoint(MODELS.build(mentor_cfg), str(tmp_path / 'ok.pth'),
                                      dict(keypoint_id2name=names))
    build_classroom(mpii_student, model=mentor_cfg, checkpoint=in_order)


def test_heatmap_and_simcc_heads_do_not_mix(mpii_student):
    rtmpose = 'mmpose::body_2d_keypoint/rtmpose/mpii/rtmpose-m_8xb64-210e_mpii-256x256.py'
    with pytest.raises(ValueError, match='has a SimCC head .* but the student has a heatmap'):
        build_classroom(mpii_student, config=rtmpose)


def test_unparseable_mentor_input_size_is_refused(mpii_student):
    with pytest.raises(ValueError, match='input_size'):
        build_classroom(mpii_student, config=MPII + 'td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py',
                        input_size=(256, 'wide'))


def test_mentor_input_size_defaults_to_its_codec(tmp_path):
    student = model_cfg('mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py')
    distiller = build_classroom(
        student, config='mmpose::body_2d_keypoint/rtmpose/coco/'
        'rtmpose-m_8xb256-420e_aic-coco-384x288.py')
    assert distiller.mentor_input_sizes['mentor'] == (384, 288)
    from mmpose.structures import PoseDataSample
    from mmengine.structures import InstanceData
    samples = []
    for _ in range(2):
        sample = PoseDataSample(metainfo=dict(input_size=(192, 256)))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.ones(1, 17), keypoint_x_labels=torch.rand(1, 17, 384),
            keypoint_y_labels=torch.rand(1, 17, 512))
        samples.append(sample)
    losses = distiller.train()(torch.randn(2, 3, 256, 192), samples, mode='loss')
    assert torch.isfinite(losses['loss_distill'])


def test_loss_mode_without_keypoints_is_refused(mpii_student):
    from mmpose.structures import PoseDataSample
    distiller = build_classroom(mpii_student,
                                config=MPII + 'td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py')
    with pytest.raises(ValueError, match='ground-truth keypoints'):
        distiller.train()(torch.randn(2, 3, 256, 256), [PoseDataSample(), PoseDataSample()],
                          mode='loss')


def test_adapter_can_be_named_in_the_config(mpii_student):
    distiller = MODELS.build(dict(
        type='ClassroomKDDistiller', student=mpii_student,
        adapter=dict(type='PoseAdapter', simcc_axes='arithmetic'),
        mentors=[dict(name='m', config=MPII + 'td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py')]))
    assert distiller.adapter.simcc_axes == 'arithmetic'
    with pytest.raises(TypeError, match='cannot read'):
        MODELS.build(dict(type='ClassroomKDDistiller', student=mpii_student,
                          adapter=dict(type='ClassificationAdapter'),
                          mentors=[dict(name='m', config=MPII +
                                        'td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py')]))


COCO_RTMPOSE_T = 'mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py'
MPII_LITEHRNET_30 = MPII + 'td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py'


@pytest.mark.parametrize('student_config, described', [
    ('mmpose::body_2d_keypoint/topdown_regression/coco/td-reg_res50_8xb64-210e_coco-256x192.py',
     'TopdownPoseEstimator with a RegressionHead'),
    ('mmpose::body_2d_keypoint/associative_embedding/coco/ae_hrnet-w32_8xb24-300e_coco-512x512.py',
     'BottomupPoseEstimator with a AssociativeEmbeddingHead'),
])
def test_students_the_adapter_cannot_read_are_refused(student_config, described):
    with pytest.raises(TypeError, match=f'cannot read a {described} as a student; supported: '
                                        'MMPose TopdownPoseEstimator models with a heatmap head'):
        build_classroom(model_cfg(student_config), config=COCO + 'td-hm_res50_8xb64-210e_coco-256x192.py')


def test_mentors_the_adapter_cannot_read_are_refused():
    regression = 'mmpose::body_2d_keypoint/topdown_regression/coco/td-reg_res50_8xb64-210e_coco-256x192.py'
    with pytest.raises(TypeError, match="mentor 'mentor' is a TopdownPoseEstimator with a "
                                        'RegressionHead.*supported: MMPose'):
        build_classroom(model_cfg(COCO + 'td-hm_res50_8xb64-210e_coco-256x192.py'),
                        config=regression)


def pose_samples(student, keypoint_weights, seed=0):
    """Data samples with random targets in the student head's own encoding."""
    from mmengine.structures import InstanceData, PixelData
    from mmpose.structures import PoseDataSample
    generator = torch.Generator().manual_seed(seed)
    head, samples = student.head, []
    num_keypoints = head.out_channels
    for weights in keypoint_weights:
        sample = PoseDataSample(metainfo=dict(input_size=student.head.decoder.input_size))
        labels = InstanceData(keypoint_weights=torch.tensor([weights]).float())
        if hasattr(head, 'simcc_split_ratio'):
            width, height = (int(s * head.simcc_split_ratio) for s in head.decoder.input_size)
            labels.keypoint_x_labels = torch.rand(1, num_keypoints, width, generator=generator)
            labels.keypoint_y_labels = torch.rand(1, num_keypoints, height, generator=generator)
        else:
            width, height = head.decoder.heatmap_size
            sample.gt_fields = PixelData(heatmaps=torch.rand(num_keypoints, height, width,
                                                             generator=generator))
        sample.gt_instance_labels = labels
        samples.append(sample)
    return samples


@pytest.mark.parametrize('config, sample_reduction', [
    (MPII + 'td-hm_litehrnet-18_8xb64-210e_mpii-256x256.py', 'mean'),  # KeypointMSELoss
    (COCO_RTMPOSE_T, 'sum'),  # KLDiscretLoss sums over instances
])
def test_pose_task_loss_per_instance_keeps_the_heads_own_scaling(config, sample_reduction):
    from classroomkd_mm.adapters import select_adapter
    torch.manual_seed(0)
    student = MODELS.build(model_cfg(config)).eval()  # eval: one instance = one batch row
    adapter = select_adapter(student)
    width, height = student.head.decoder.input_size
    inputs = torch.randn(3, 3, height, width)
    k = student.head.out_channels
    samples = pose_samples(student, [[1.0] * k, [1.0, 0.0] * (k // 2) + [1.0] * (k % 2),
                                     [0.5] * k])
    losses, _, calls = adapter.student_loss(student, inputs, samples)
    valid = torch.ones(3, dtype=torch.bool)
    # every r^s_i equal: exactly the batch loss times r^s
    same = adapter.weigh_per_sample(student, losses, calls, torch.full((3,), 0.7), valid)
    assert same['loss_kpt'].item() == pytest.approx(0.7 * losses['loss_kpt'].item(), rel=1e-6)
    # each instance's own loss (the head run on it alone), weighted by its own r^s_i
    alone = torch.stack([student.loss(inputs[i:i + 1], samples[i:i + 1])['loss_kpt']
                         for i in range(3)])
    reduce = torch.mean if sample_reduction == 'mean' else torch.sum
    assert losses['loss_kpt'].item() == pytest.approx(reduce(alone).item(), rel=1e-5)
    weights = torch.tensor([0.2, 1.5, 0.9])
    weighted = adapter.weigh_per_sample(student, losses, calls, weights, valid)
    assert weighted['loss_kpt'].item() == pytest.approx(reduce(weights * alone).item(), rel=1e-5)
    assert weighted['acc_pose'] is losses['acc_pose']  # not a loss: left alone


def test_pose_classroom_in_sample_mode_splits_the_head_loss(mpii_student):
    from log_capture import logged_messages
    distiller = build_classroom(mpii_student, config=MPII_LITEHRNET_30)
    distiller.classroom.kf.granularity = 'sample'
    student = distiller.student
    samples = pose_samples(student, [[1.0] * 16, [0.0] * 16])  # the second: nothing visible
    with logged_messages() as messages:
        losses = distiller.train()(torch.randn(2, 3, 256, 256), samples, mode='loss')
    assert messages == [] and torch.isfinite(losses['loss_kpt'])
    assert losses['valid/fraction'].item() == 0.5
