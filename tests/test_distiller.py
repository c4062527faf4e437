"""ClassroomKDDistiller: the wiring of mentors, student, adapter and classroom loss, checked
end to end on MMPretrain classifiers (Eq. 10 recomputed by hand) and MMPose estimators
(the shipped classrooms through the Runner), with bad input, and an exact resume."""
import copy
import glob
import json
import math
import os.path as osp
import re

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from classroom_utils import build, classifier, labelled_batch
from classroomkd_mm import telemetry
from classroomkd_mm.compat import load_checkpoint_file
from classroomkd_mm.engine import read_config
from log_capture import logged_messages
from pose_utils import MPII, model_cfg, pose_samples, with_local_mentors
from runner_utils import (on_coco_tiny, on_mpii_tiny, save_zoo_checkpoint, short_cpu_run,
                          write_tiny_classroom)


def test_loss_is_eq10_recomputed_by_hand(cifar_classroom):
    distiller = build(cifar_classroom).train()
    inputs, samples, labels = labelled_batch()
    losses = distiller(inputs, samples, mode='loss')
    assert {'loss', 'loss_distill', 'rank/student', 'rank/teacher', 'active/vgg',
            'temp/teacher'} <= set(losses)
    # Independent recomputation with plain torch ops.
    with torch.no_grad():
        student = distiller.student(inputs, mode='tensor')
        mentors = [m(inputs, mode='tensor') for m in distiller.mentors.values()]
    logits = [student] + mentors
    w = torch.stack([torch.exp(-F.cross_entropy(z, labels)) for z in logits])  # geometric mean
    r = 2 * w / w.sum()
    distill = 0.0
    for m, z in enumerate(mentors, start=1):
        tau = 1 + 12 * abs(r[m] - r[0]) / max(r[m], r[0])
        kl = F.kl_div(F.log_softmax(student / tau, -1), F.softmax(z / tau, -1),
                      reduction='batchmean') * tau ** 2
        distill += float(r[m] > r[0]) * r[m] * kl
    task = F.cross_entropy(student, labels)
    assert losses['rank/student'].item() == pytest.approx(r[0].item(), rel=1e-5)
    assert losses['loss'].item() == pytest.approx((r[0] * task).item(), rel=1e-5)
    assert losses['loss_distill'].item() == pytest.approx(float(distill), rel=1e-4, abs=1e-7)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()
    assert all(p.grad is None for p in distiller.mentors.parameters())
    # What the Runner logs: ``loss`` is the sum Eq. 10 minimises, the student's own term
    # is ``loss_task`` (MMEngine would otherwise log the head's ``loss`` as the total).
    summed, log_vars = distiller.parse_losses(losses)
    assert summed.item() == pytest.approx((r[0] * task + distill).item(), rel=1e-4)
    assert float(log_vars['loss']) == pytest.approx(summed.item())
    assert float(log_vars['loss_task']) == pytest.approx((r[0] * task).item(), rel=1e-5)


def test_predict_and_tensor_modes_are_the_students(cifar_classroom):
    distiller = build(cifar_classroom).eval()
    inputs, samples, _ = labelled_batch()
    assert torch.equal(distiller(inputs, mode='tensor'), distiller.student(inputs, mode='tensor'))
    predicted = distiller(inputs, samples, mode='predict')
    assert predicted[0].pred_score.shape == (10,)


def test_loss_path_makes_no_host_sync(cifar_classroom, monkeypatch):
    distillers = [build(cifar_classroom, kf=dict(granularity=granularity)).train()
                  for granularity in ('batch', 'sample')]
    inputs, samples, _ = labelled_batch()

    def forbidden(*args, **kwargs):
        raise AssertionError('host sync in the loss path')

    for name in ('item', 'tolist', '__bool__', '__float__', '__int__'):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    for distiller in distillers:
        losses = distiller(inputs, samples, mode='loss')
        assert 'loss_distill' in losses


def test_non_finite_mentor_is_excluded(cifar_classroom):
    distiller = build(cifar_classroom, kf=dict(enabled=False)).train()
    with torch.no_grad():
        distiller.mentors['vgg'].head.fc.bias.fill_(float('nan'))
    inputs, samples, _ = labelled_batch()
    losses = distiller(inputs, samples, mode='loss')
    assert losses['nonfinite/mentors'].item() == 1.0
    assert losses['active/vgg'].item() == 0.0 and losses['active/teacher'].item() == 1.0
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(torch.isfinite(p.grad).all() for p in distiller.student.parameters()
               if p.grad is not None)


@pytest.mark.parametrize('change, message', [
    (dict(mentors=[]), 'mentors` is empty'),
    (dict(mentors=None), 'mentors` is empty'),
    (dict(kf=dict(ranking='median')), 'kf.ranking'),
    (dict(kf=dict(aggregate='median')), 'kf.aggregate'),
    (dict(kf=dict(granularity='pixel')), 'kf.granularity'),
    (dict(mentoring=dict(mode='slow')), 'mentoring.mode'),
    (dict(mentoring=dict(base_temperature=-1.0)), 'base_temperature'),
    (dict(distill_weight=-1.0), 'distill_weight'),
    (dict(mentor_fast_path=dict(name='teacher')), r"mentor_fast_path: unknown keys \['name'\]"),
])
def test_bad_options_fail_before_building(cifar_classroom, change, message):
    with pytest.raises(ValueError, match=message):
        build(cifar_classroom, **change)


def test_loss_mode_without_labels_is_refused(cifar_classroom):
    distiller = build(cifar_classroom).train()
    inputs, _, _ = labelled_batch()
    with pytest.raises(ValueError, match='ground-truth labels'):
        distiller(inputs, [DataSample() for _ in range(len(inputs))], mode='loss')


@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_under_autocast_mentors_run_bf16_and_the_loss_math_float32(cifar_classroom, granularity):
    distiller = build(cifar_classroom, kf=dict(granularity=granularity)).train()
    seen = []
    distiller.mentors['teacher'].head.fc.register_forward_hook(
        lambda module, args, output: seen.append(output.dtype))
    inputs, samples, _ = labelled_batch()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = distiller(inputs, samples, mode='loss')
    assert seen == [torch.bfloat16]
    assert losses['loss_distill'].dtype == torch.float32
    for key in ('rank/teacher', 'active/teacher', 'temp/teacher', 'rank/student'):
        assert losses[key].dtype == torch.float32, key


def test_non_finite_student_is_reported(cifar_classroom):
    distiller = build(cifar_classroom).train()
    with torch.no_grad():
        distiller.student.head.fc.bias.fill_(float('inf'))
    inputs, samples, _ = labelled_batch()
    losses = distiller(inputs, samples, mode='loss')
    assert losses['nonfinite/student'].item() == 1.0
    assert losses['nonfinite/mentors'].item() == 0.0


def test_all_mentors_below_the_student_leaves_the_task_loss(cifar_classroom):
    distiller = build(cifar_classroom).train()
    inputs, samples, labels = labelled_batch()
    with torch.no_grad():  # a confident, correct student; mentors predict a wrong class
        distiller.student.head.fc.weight.zero_()
        distiller.student.head.fc.bias.zero_()
        for mentor in distiller.mentors.values():
            mentor.head.fc.weight.zero_()
            mentor.head.fc.bias.copy_(torch.nn.functional.one_hot(
                (labels[0] + 1) % 10, 10).float() * 5)
    samples = [DataSample().set_gt_label(int(labels[0])) for _ in samples]
    losses = distiller(inputs, samples, mode='loss')
    assert losses['active/teacher'].item() == 0.0 and losses['active/vgg'].item() == 0.0
    assert losses['loss_distill'].item() == 0.0
    task = torch.nn.functional.cross_entropy(torch.zeros(len(samples), 10),
                                             labels[:1].expand(len(samples)))
    assert losses['loss'].item() == pytest.approx(losses['rank/student'].item() * task.item(),
                                                  rel=1e-5)


def twin_classroom(cifar_classroom, tmp_path, **options):
    """The student plus a twin mentor holding the student's own weights, and a peer."""
    torch.manual_seed(3)
    student = MODELS.build(cifar_classroom['student'])
    path = save_zoo_checkpoint(student, str(tmp_path / 'twin.pth'))
    twin = dict(name='twin', model=cifar_classroom['student'], checkpoint=path)
    distiller = build(cifar_classroom, mentors=[twin, cifar_classroom['mentors'][1]], **options)
    distiller.student.load_state_dict(student.state_dict())
    return distiller.eval()  # both in eval: their outputs are bit-identical


@pytest.mark.parametrize('ranking', ['softmax', 'uniform'])
@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_a_twin_mentor_never_teaches(cifar_classroom, tmp_path, ranking, granularity):
    distiller = twin_classroom(cifar_classroom, tmp_path,
                               kf=dict(ranking=ranking, granularity=granularity))
    inputs, samples, _ = labelled_batch()
    losses = distiller(inputs, samples, mode='loss')
    assert losses['rank/twin'].item() == losses['rank/student'].item()
    assert losses['active/twin'].item() == 0.0


def constant_classifier(bias):
    """A two-class CIFAR classifier whose logits are ``bias`` for every input."""
    model = MODELS.build(classifier('resnet8', num_classes=2))
    with torch.no_grad():
        model.head.fc.weight.zero_()
        model.head.fc.bias.copy_(torch.tensor(bias))
    return model


def test_sample_mode_weights_each_samples_task_loss_by_its_own_rank(tmp_path, pretrain_scope):
    # A confident student, logits [ln 9, 0]: p^s = 0.9 on sample 0 (label 0), 0.1 on sample 1
    # (label 1); one mentor at [0, 0]: p^m = 0.5. Per sample (λ = 1) r^s_i = p^s/(p^s + p^m)
    # = [9/14, 1/6] falls where CE_i = [ln(10/9), ln 10] rises. The mentor (r^m = 5/6)
    # teaches sample 1 only, at τ = 1 + 12·(5/6 − 1/6)/(5/6) = 10.6.
    mentor_path = save_zoo_checkpoint(constant_classifier([0.0, 0.0]), str(tmp_path / 'm.pth'))
    distiller = build(dict(type='ClassroomKDDistiller',
                           student=classifier('resnet8', num_classes=2),
                           mentors=[dict(name='m', model=classifier('resnet8', num_classes=2),
                                         checkpoint=mentor_path)],
                           kf=dict(granularity='sample'))).train()
    with torch.no_grad():
        distiller.student.head.fc.weight.zero_()
        distiller.student.head.fc.bias.copy_(torch.tensor([math.log(9), 0.0]))
    samples = [DataSample().set_gt_label(label) for label in (0, 1)]
    losses = distiller(torch.randn(2, 3, 32, 32), samples, mode='loss')
    task = (9 / 14 * math.log(10 / 9) + 1 / 6 * math.log(10)) / 2  # mean_i r^s_i · CE_i
    assert losses['loss'].item() == pytest.approx(task, rel=1e-5)
    assert losses['loss'].item() != pytest.approx(  # not mean_i(r^s_i) · mean_i(CE_i)
        (9 / 14 + 1 / 6) / 2 * (math.log(10 / 9) + math.log(10)) / 2, rel=1e-3)
    tau = 10.6
    q = [9 ** (1 / tau) / (9 ** (1 / tau) + 1), 1 / (9 ** (1 / tau) + 1)]  # student at τ
    kl = sum(0.5 * math.log(0.5 / qk) for qk in q)
    assert losses['loss_distill'].item() == pytest.approx(5 / 6 * tau ** 2 * kl / 2, rel=1e-5)
    assert losses['active/m'].item() == 0.5 and losses['rank/student'].item() == pytest.approx(
        (9 / 14 + 1 / 6) / 2, rel=1e-6)
    losses['loss'].backward()
    # d/db of mean_i r^s_i CE_i: r^s_i (softmax − onehot) per sample, averaged
    p0 = torch.tensor([0.9, 0.1])
    expected = (9 / 14 * (p0 - torch.tensor([1.0, 0.0])) +
                1 / 6 * (p0 - torch.tensor([0.0, 1.0]))) / 2
    assert torch.allclose(distiller.student.head.fc.bias.grad, expected, atol=1e-6)


@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_every_mentor_nan_leaves_the_plain_task_loss(cifar_classroom, granularity):
    distiller = build(cifar_classroom, kf=dict(granularity=granularity)).train()
    with torch.no_grad():
        for mentor in distiller.mentors.values():
            mentor.head.fc.bias.fill_(float('nan'))
    inputs, samples, _ = labelled_batch()
    losses = distiller(inputs, samples, mode='loss')
    plain = distiller.student.loss(inputs, samples)['loss']
    if granularity == 'batch':
        assert losses['loss'].item() == plain.item()
    else:  # (L / Σ L_i) · Σ 1 · L_i: equal up to float rounding
        assert losses['loss'].item() == pytest.approx(plain.item(), rel=1e-6)
    assert losses['loss_distill'].item() == 0.0
    assert losses['nonfinite/mentors'].item() == 2.0
    assert losses['active/teacher'].item() == losses['active/vgg'].item() == 0.0


def test_without_mentors_only_evaluation_runs(cifar_classroom, tmp_path):
    missing = [dict(m, checkpoint=str(tmp_path / 'nowhere.pth'))
               for m in cifar_classroom['mentors']]
    distiller = build(cifar_classroom, mentors=missing, build_mentors=False)
    assert len(distiller.mentors) == 0
    inputs, samples, _ = labelled_batch()
    assert distiller(inputs, samples, mode='predict')[0].pred_score.shape == (10,)
    with pytest.raises(RuntimeError, match='build_mentors=False.*needs its mentors'):
        distiller.train()(inputs, samples, mode='loss')


def test_a_head_loss_that_cannot_be_split_falls_back_with_one_warning(cifar_classroom):
    distiller = build(cifar_classroom, kf=dict(granularity='sample')).train()
    head = distiller.student.head

    def loss_twice(feats, data_samples, **kwargs):  # a head that calls its loss module twice
        scores = head(feats)
        first, second = (head._get_loss(scores, data_samples) for _ in range(2))
        return dict(loss=(first['loss'] + second['loss']) / 2)

    head.loss = loss_twice
    inputs, samples, _ = labelled_batch()
    with logged_messages() as messages:
        for _ in range(2):
            losses = distiller(inputs, samples, mode='loss')
    assert len(messages) == 1
    assert 'LinearClsHead cannot be split per sample (RuntimeError: its loss module ran 2 ' \
           'times' in messages[0]
    plain = distiller.student.loss(inputs, samples)['loss']
    assert losses['loss'].item() == pytest.approx(plain.item() * losses['rank/student'].item(),
                                                  rel=1e-5)


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
                                                                  batch_size, tmp_path,
                                                                  pose_scope):
    cfg = dataset(short_cpu_run(read_config(config), str(tmp_path / 'work'), batch_size))
    cfg = with_local_mentors(cfg, tmp_path)
    cfg.train_dataloader.dataset.indices = batch_size  # one step
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val()
    assert 0.0 <= metrics[metric] <= 100.0
    names = [m.name for m in cfg.model.mentors]
    logged = read_scalars(cfg.work_dir)
    train_steps = [r for r in logged if 'loss_distill' in r]
    assert len(train_steps) == len(runner.train_dataloader)
    expected = {key(name) for key in (telemetry.rank_key, telemetry.temperature_key,
                                      telemetry.active_key, telemetry.active_rate_key)
                for name in names}
    for record in train_steps:
        assert expected | {'rank/student', 'loss_kpt', 'loss_distill'} <= set(record)
    assert all(not m.training for m in runner.model.mentors.modules())


def test_pose_classroom_in_sample_mode_splits_the_head_loss(pose_scope):
    student = dict(model_cfg(MPII + 'td-hm_litehrnet-18_8xb64-210e_mpii-256x256.py'),
                   metainfo=dict(from_file='configs/_base_/datasets/mpii.py'))
    distiller = build(dict(type='ClassroomKDDistiller', student=student,
                           kf=dict(granularity='sample'),
                           mentors=[dict(name='mentor', config=MPII +
                                         'td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py')]))
    samples = pose_samples(distiller.student, [[1.0] * 16, [0.0] * 16])  # 2nd: none visible
    with logged_messages() as messages:
        losses = distiller.train()(torch.randn(2, 3, 256, 256), samples, mode='loss')
    assert messages == [] and torch.isfinite(losses['loss_kpt'])
    assert losses['valid/fraction'].item() == 0.5


LOSS = re.compile(r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/\d+\].*?  loss: (\S+)')


def deterministic(cfg: Config, pipeline: list) -> Config:
    cfg.train_dataloader.dataset.pipeline = pipeline
    cfg.randomness = dict(seed=0, deterministic=True)
    return cfg


def cls_config(tmp_path, cifar10_tiny):
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(write_tiny_classroom(tmp_path, cifar10_tiny))
    cfg.train_dataloader.dataset.indices = 100  # 2 steps per epoch
    return deterministic(cfg, [dict(type='LoadImageFromFile'), dict(type='PackInputs')])


def pose_config(tmp_path):
    init_default_scope('mmpose')
    cfg = read_config('configs/coco/rtmpose-t_classroom.py')
    cfg = with_local_mentors(on_coco_tiny(short_cpu_run(cfg, '', 4, max_epochs=2,
                                                         keep_checkpoints=True)), tmp_path)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.train_cfg.val_interval = 100
    cfg.train_dataloader.dataset.indices = 8  # 2 steps per epoch
    pipeline = list(cfg.val_pipeline) + [dict(type='GenerateTarget', encoder=cfg.codec)]
    pipeline[-2], pipeline[-1] = pipeline[-1], pipeline[-2]  # targets before packing
    return deterministic(cfg, pipeline)


def run(cfg: Config, work_dir: str, resume_from=None):
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    cfg.visualizer.name = f'visualizer:{work_dir}'
    if resume_from:
        cfg.resume, cfg.load_from = True, resume_from
    runner = Runner.from_cfg(cfg)
    runner.train()
    with open(runner.logger.handlers[-1].baseFilename) as f:
        losses = {(int(e), int(i)): l for e, i, l in LOSS.findall(f.read())}
    return runner, losses


@pytest.mark.parametrize('task', ['classification', 'pose'])
def test_resume_continues_exactly(task, tmp_path, cifar10_tiny):
    cfg = cls_config(tmp_path, cifar10_tiny) if task == 'classification' else pose_config(
        tmp_path)
    _, straight = run(cfg, str(tmp_path / 'straight'))
    # What a run killed during epoch 2 leaves behind. (A run configured for 1 epoch would
    # not do: MMEngine clips its schedulers' end to its max_epochs.)
    checkpoint = str(tmp_path / 'straight' / 'epoch_1.pth')
    saved = load_checkpoint_file(checkpoint)['state_dict']
    assert not any(k.startswith('mentors.') for k in saved)
    _, resumed = run(cfg, str(tmp_path / 'resumed'), resume_from=checkpoint)
    second_epoch = {key: value for key, value in straight.items() if key[0] == 2}
    assert second_epoch and {k: v for k, v in resumed.items() if k[0] == 2} == second_epoch
