"""The classification adapter: the classifiers it reads or refuses, the head output it
records, and the task loss it splits per sample."""
import pytest
import torch
from mmengine.registry import MODELS

from classroomkd_mm.adapters import ClassificationAdapter, select_adapter
from classroomkd_mm.core import ClassroomKDLoss
from classroom_utils import build, classifier, labelled_batch

pytestmark = pytest.mark.usefixtures('pretrain_scope')

MULTI_LABEL = dict(type='ImageClassifier', backbone=dict(type='ckd.CifarResNet', depth=8),
                   neck=dict(type='GlobalAveragePooling'),
                   head=dict(type='MultiLabelLinearClsHead', num_classes=10, in_channels=64))


def test_the_head_output_of_the_students_own_loss_is_recorded():
    torch.manual_seed(0)
    student = MODELS.build(classifier('resnet8')).eval()
    adapter = select_adapter(student)
    assert type(adapter) is ClassificationAdapter
    inputs, samples, _ = labelled_batch(n=3)
    task, output = adapter.student_loss(student, inputs, samples)
    assert torch.equal(output, student(inputs, mode='tensor'))
    assert task.source == 'LinearClsHead' and set(task.losses) == {'loss'}
    head, original = student.head, student.head.loss

    def two_forwards(feats, data_samples, **kwargs):  # a head that runs itself twice
        head(feats)
        return original(feats, data_samples, **kwargs)

    head.loss = two_forwards
    with pytest.raises(RuntimeError, match=r'LinearClsHead ran 2 times in one loss\(\) of the '
                                           'student; ClassroomKD reads the output from its '
                                           'one call'):
        adapter.student_loss(student, inputs, samples)


def test_timm_classifier_task_loss_splits_per_sample():
    # TimmClassifier keeps its loss module on the classifier itself, not on a head.
    torch.manual_seed(0)
    student = MODELS.build(dict(type='TimmClassifier', model_name='resnet10t',
                                num_classes=10)).eval()
    adapter = select_adapter(student)
    inputs, samples, _ = labelled_batch(n=3)
    task, _ = adapter.student_loss(student, inputs, samples)
    alone = torch.stack([student.loss(inputs[i:i + 1], samples[i:i + 1])['loss']
                         for i in range(3)])
    key, per_sample = task.per_sample(3)
    assert key == 'loss' and torch.allclose(per_sample, alone, rtol=1e-5)
    weights = torch.tensor([0.2, 1.5, 0.9])
    classroom = ClassroomKDLoss(kf=dict(granularity='sample'))
    weighted = classroom.weigh_task_losses(task, weights, torch.ones(3, dtype=torch.bool))
    assert weighted['loss'].item() == pytest.approx((weights * alone).mean().item(), rel=1e-5)
    assert classroom.per_sample_failure is None


def test_unsupported_models_are_refused_with_the_supported_ones_named(cifar_classroom):
    with pytest.raises(TypeError, match='cannot read a ImageClassifier with a '
                                        'MultiLabelLinearClsHead as a student; supported: '
                                        '.*single-label MMPretrain classifiers'):
        select_adapter(MODELS.build(MULTI_LABEL))
    with pytest.raises(TypeError, match="mentor 'tagger' is a ImageClassifier with a "
                                        'MultiLabelLinearClsHead.*supported: single-label'):
        build(cifar_classroom, mentors=[dict(name='tagger', model=MULTI_LABEL)])


def test_a_mentor_must_share_the_label_space(cifar_classroom):
    teacher = dict(cifar_classroom['mentors'][0], model=classifier('resnet14', num_classes=100),
                   checkpoint=None)
    with pytest.raises(ValueError, match='predicts 100 classes but the student predicts 10'):
        build(cifar_classroom, mentors=[teacher])


def test_torchvision_mentor_is_accepted(cifar_classroom):
    squeezenet = dict(name='squeezenet', model=dict(type='ckd.TorchvisionClassifier',
                                                    name='squeezenet1_1', num_classes=10))
    distiller = build(cifar_classroom, mentors=[squeezenet], rank_weights=False).train()
    inputs, samples, _ = labelled_batch(n=2)
    assert torch.isfinite(distiller(inputs, samples, mode='loss')['loss_distill'])
