"""Mentors: specs checked before anything is built, weights loaded safely, frozen in eval
mode, outside the trainable state (shared by copies, moved with the model), and at their
own input size."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from classroom_utils import build, classifier, save_seeded_checkpoint
from classroomkd_mm import ClassroomKDDistiller
from log_capture import logged_messages
from pose_utils import RTMPOSE, model_cfg
from runner_utils import write_tiny_classroom


def test_mentors_are_frozen_eval_and_outside_the_trainable_state(cifar_classroom, tmp_path):
    distiller = build(cifar_classroom)
    assert isinstance(distiller, ClassroomKDDistiller)
    assert list(distiller.mentors) == ['teacher', 'vgg']
    assert isinstance(distiller.mentors, torch.nn.ModuleDict)
    loaded = torch.load(str(tmp_path / 'teacher.pth'))['state_dict']
    for key, value in distiller.mentors['teacher'].state_dict().items():
        assert torch.equal(value, loaded[key])
    distiller.train()
    assert distiller.student.training
    assert all(not m.training for m in distiller.mentors.modules())
    assert all(not p.requires_grad for p in distiller.mentors.parameters())
    mentor_params = {id(p) for p in distiller.mentors.parameters()}
    assert not mentor_params & {id(p) for p in distiller.parameters()}
    assert not any(key.startswith('mentors.') for key in distiller.state_dict())
    assert distiller.data_preprocessor is distiller.student.data_preprocessor


def test_building_the_mentors_leaves_the_random_state_to_the_student(cifar_classroom):
    """The student of a classroom starts as the student trained alone on the same seed
    (``init_weights`` runs after the mentors are built), and the run draws what it would."""
    def built(cfg):
        torch.manual_seed(0)
        model = build(cfg)
        model.init_weights()  # the Runner's, when training starts: the head's Normal init
        return getattr(model, 'student', model).state_dict(), torch.rand(4)

    alone, drawn_alone = built(cifar_classroom['student'])
    student, drawn = built(cifar_classroom)
    assert list(student) == list(alone)
    assert all(torch.equal(student[key], alone[key]) for key in alone)
    assert torch.equal(drawn, drawn_alone)


def test_copies_share_the_mentors_and_moving_the_model_moves_them(cifar_classroom):
    distiller = build(cifar_classroom)
    ema = copy.deepcopy(distiller)  # what an EMA hook makes
    assert ema.mentors is distiller.mentors and ema.student is not distiller.student
    distiller.to(torch.float64)
    assert all(p.dtype == torch.float64 for p in distiller.mentors.parameters())
    assert distiller.mentor_inputs['teacher'](torch.zeros(1, 3, 2, 2)).dtype == torch.float32


@pytest.mark.parametrize('paramwise', [None, dict(norm_decay_mult=0.0)])
def test_optimizer_holds_only_student_parameters(cifar_classroom, paramwise):
    distiller = build(cifar_classroom)
    cfg = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
    if paramwise:
        cfg['paramwise_cfg'] = paramwise
    wrapper = build_optim_wrapper(distiller, cfg)
    in_optimizer = {id(p) for group in wrapper.optimizer.param_groups for p in group['params']}
    assert in_optimizer == {id(p) for p in distiller.student.parameters()}


def test_bad_mentors_are_named(cifar_classroom, tmp_path):
    teacher = cifar_classroom['mentors'][0]
    cases = [
        ([], 'mentors` is empty'),
        (None, 'mentors` is empty'),
        ([dict(model=teacher['model'])], r'mentors\[0\] must be a dict with a `name`'),
        ([teacher, dict(teacher)], "name 'teacher' is used twice"),
        ([dict(teacher, checkpoint=str(tmp_path / 'missing.pth'))], 'does not exist'),
        ([dict(teacher, model=classifier('resnet20'))],
         r'missing keys: backbone\.layers\.0\.2\.conv1'),
        ([dict(teacher, input_size='large')], 'input_size'),
        ([dict(teacher, input_size=(256, 'wide'))], 'input_size'),
        ([dict(teacher, temperature=3)], 'unknown keys'),
    ]
    for mentors, message in cases:
        with pytest.raises((ValueError, RuntimeError, FileNotFoundError), match=message):
            build(cifar_classroom, mentors=mentors)


def test_unreachable_url_says_where_to_put_the_weights(cifar_classroom, tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    teacher = dict(cifar_classroom['mentors'][0], checkpoint='http://127.0.0.1:9/zoo/teacher.pth')
    with pytest.raises(RuntimeError, match=r'could not fetch.*put it at .*teacher\.pth'):
        build(cifar_classroom, mentors=[teacher])


class Payload:
    """Pickles to a call of ``open(marker, 'w')``: creating the file proves it ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_pickled_callable_is_refused_unread(cifar_classroom, tmp_path):
    marker = tmp_path / 'marker'
    path = tmp_path / 'evil.pth'
    teacher = cifar_classroom['mentors'][0]
    state = torch.load(teacher['checkpoint'])
    state['meta']['payload'] = Payload(str(marker))
    torch.save(state, str(path))
    assert not marker.exists()
    with pytest.raises(RuntimeError, match='trust_checkpoint=True'):
        build(cifar_classroom, mentors=[dict(teacher, checkpoint=str(path))])
    assert not marker.exists()
    # The documented opt-in loads trusted legacy files (and so runs the payload).
    build(cifar_classroom, mentors=[dict(teacher, checkpoint=str(path), trust_checkpoint=True)])
    assert marker.exists()


def test_a_mentor_may_share_the_students_architecture(cifar_classroom, tmp_path):
    # A stronger checkpoint of the student's own architecture is a legitimate mentor.
    student = cifar_classroom['student']
    path = save_seeded_checkpoint(student, str(tmp_path / 'born_again.pth'), seed=5)
    with logged_messages() as messages:
        distiller = build(cifar_classroom, mentors=[dict(name='born_again', model=student,
                                                         checkpoint=path)])
    assert list(distiller.mentors) == ['born_again'] and messages == []
    with logged_messages() as messages:
        build(cifar_classroom, mentors=[dict(name='untrained', model=student)])
    assert messages == ["mentor 'untrained' has no checkpoint: it teaches with untrained "
                        'weights']


def test_a_pose_mentors_input_size_defaults_to_its_codec(pose_scope):
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    student = model_cfg(RTMPOSE + 'coco/rtmpose-t_8xb256-420e_coco-256x192.py')
    mentor = dict(name='mentor', config=RTMPOSE + 'coco/rtmpose-m_8xb256-420e_aic-coco-384x288.py')
    distiller = build(dict(type='ClassroomKDDistiller', student=student, mentors=[mentor]))
    assert distiller.mentor_inputs['mentor'].size == (384, 288)
    samples = []
    for _ in range(2):
        sample = PoseDataSample(metainfo=dict(input_size=(192, 256)))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.ones(1, 17), keypoint_x_labels=torch.rand(1, 17, 384),
            keypoint_y_labels=torch.rand(1, 17, 512))
        samples.append(sample)
    losses = distiller.train()(torch.randn(2, 3, 256, 192), samples, mode='loss')
    assert torch.isfinite(losses['loss_distill'])


def test_mentors_stay_bit_identical_through_training_and_out_of_the_optimizer(
        tmp_path, cifar10_tiny):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(write_tiny_classroom(tmp_path, cifar10_tiny))
    # The fast path swaps each mentor for its BN-folded copy on the first batch, by design
    # (test_fast_path_mentor.py); here the eager mentors must leave training as they were.
    cfg.model.mentor_fast_path = None
    cfg.train_cfg.max_epochs = 1
    cfg.train_dataloader.update(batch_size=4, dataset=dict(cfg.train_dataloader.dataset, indices=8))
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    mentors = runner.model.mentors
    loaded = {name: {k: v.clone() for k, v in m.state_dict().items()}
              for name, m in mentors.items()}
    runner.train()
    for name, mentor in mentors.items():
        for key, value in mentor.state_dict().items():
            assert torch.equal(value, loaded[name][key]), f'{name}.{key} changed'
    in_optimizer = {id(p) for group in runner.optim_wrapper.optimizer.param_groups
                    for p in group['params']}
    assert in_optimizer == {id(p) for p in runner.model.student.parameters()}
