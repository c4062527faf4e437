"""ClassroomKDDistiller on MMPretrain classifiers: contract, Eq. 10 end to end, bad input."""

import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from classroomkd_mm import ClassroomKDDistiller
from log_capture import logged_messages
from runner_utils import save_zoo_checkpoint

pytestmark = pytest.mark.usefixtures('pretrain_scope')

PREPROCESSOR = dict(type='ClsDataPreprocessor', num_classes=10, mean=[125.3, 123.0, 113.9],
                    std=[63.0, 62.1, 66.7])


def classifier(arch, num_classes=10):
    return dict(type='CifarClassifier', arch=arch, num_classes=num_classes)


def save_seeded_checkpoint(model_cfg, path, seed):
    """A model-zoo style file from a seeded random model."""
    from mmengine.registry import MODELS
    torch.manual_seed(seed)
    return save_zoo_checkpoint(MODELS.build(model_cfg), path)


@pytest.fixture
def classroom(tmp_path):
    mentors = []
    for seed, (name, arch) in enumerate((('teacher', 'resnet14'), ('vgg', 'vgg8'))):
        path = str(tmp_path / f'{name}.pth')
        save_seeded_checkpoint(classifier(arch), path, seed)
        mentors.append(dict(name=name, model=classifier(arch), checkpoint=path))
    return dict(type='ClassroomKDDistiller', student=dict(classifier('resnet8'),
                                                          data_preprocessor=PREPROCESSOR),
                mentors=mentors)


def build(cfg, **changes):
    from mmengine.registry import MODELS
    return MODELS.build(dict(cfg, **changes))


def batch(n=6, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (n,), generator=generator)
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    return inputs, samples, labels


def test_mentors_are_frozen_eval_and_outside_the_trainable_state(classroom, tmp_path):
    distiller = build(classroom)
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


@pytest.mark.parametrize('paramwise', [None, dict(norm_decay_mult=0.0)])
def test_optimizer_holds_only_student_parameters(classroom, paramwise):
    distiller = build(classroom)
    cfg = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
    if paramwise:
        cfg['paramwise_cfg'] = paramwise
    wrapper = build_optim_wrapper(distiller, cfg)
    in_optimizer = {id(p) for group in wrapper.optimizer.param_groups for p in group['params']}
    assert in_optimizer == {id(p) for p in distiller.student.parameters()}


def test_loss_is_eq10_recomputed_by_hand(classroom):
    distiller = build(classroom).train()
    inputs, samples, labels = batch()
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


def test_predict_and_tensor_modes_are_the_students(classroom):
    distiller = build(classroom).eval()
    inputs, samples, _ = batch()
    assert torch.equal(distiller(inputs, mode='tensor'), distiller.student(inputs, mode='tensor'))
    predicted = distiller(inputs, samples, mode='predict')
    assert predicted[0].pred_score.shape == (10,)


def test_loss_path_makes_no_host_sync(classroom, monkeypatch):
    distiller = build(classroom).train()
    inputs, samples, _ = batch()

    def forbidden(*args, **kwargs):
        raise AssertionError('host sync in the loss path')

    for name in ('item', 'tolist', '__bool__', '__float__', '__int__'):
        monkeypatch.setattr(torch.Tensor, name, forbidden)
    for granularity in ('batch', 'sample'):
        distiller.classroom.kf.granularity = granularity
        losses = distiller(inputs, samples, mode='loss')
        assert 'loss_distill' in losses


def test_non_finite_mentor_is_excluded(classroom):
    distiller = build(classroom, kf=dict(enabled=False)).train()
    with torch.no_grad():
        distiller.mentors['vgg'].head.fc.bias.fill_(float('nan'))
    inputs, samples, _ = batch()
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
def test_bad_options_fail_before_building(classroom, change, message):
    with pytest.raises(ValueError, match=message):
        build(classroom, **change)


def test_bad_mentors_are_named(classroom, tmp_path):
    teacher = classroom['mentors'][0]
    cases = [
        ([teacher, dict(teacher)], "name 'teacher' is used twice"),
        ([dict(teacher, model=classifier('resnet14', num_classes=100), checkpoint=None)],
         'predicts 100 classes but the student predicts 10'),
        ([dict(teacher, checkpoint=str(tmp_path / 'missing.pth'))], 'does not exist'),
        ([dict(teacher, model=classifier('resnet20'))], r'missing keys: backbone\.layers\.0\.2\.conv1'),
        ([dict(teacher, input_size='large')], 'input_size'),
        ([dict(teacher, temperature=3)], 'unknown keys'),
    ]
    for mentors, message in cases:
        with pytest.raises((ValueError, RuntimeError, FileNotFoundError), match=message):
            build(classroom, mentors=mentors)


def test_unreachable_url_says_where_to_put_the_weights(classroom, tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    teacher = dict(classroom['mentors'][0], checkpoint='http://127.0.0.1:9/zoo/teacher.pth')
    with pytest.raises(RuntimeError, match=r'could not fetch.*put it at .*teacher\.pth'):
        build(classroom, mentors=[teacher])


def test_loss_mode_without_labels_is_refused(classroom):
    distiller = build(classroom).train()
    inputs, _, _ = batch()
    with pytest.raises(ValueError, match='ground-truth labels'):
        distiller(inputs, [DataSample() for _ in range(len(inputs))], mode='loss')


class Payload:
    """Pickles to a call of ``open(marker, 'w')``: creating the file proves it ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_pickled_callable_is_refused_unread(classroom, tmp_path):
    marker = tmp_path / 'marker'
    path = tmp_path / 'evil.pth'
    state = torch.load(classroom['mentors'][0]['checkpoint'])
    state['meta']['payload'] = Payload(str(marker))
    torch.save(state, str(path))
    assert not marker.exists()
    with pytest.raises(RuntimeError, match='trust_checkpoint=True'):
        build(classroom, mentors=[dict(classroom['mentors'][0], checkpoint=str(path))])
    assert not marker.exists()
    # The documented opt-in loads trusted legacy files (and so runs the payload).
    build(classroom, mentors=[dict(classroom['mentors'][0], checkpoint=str(path),
                                   trust_checkpoint=True)])
    assert marker.exists()


@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_under_autocast_mentors_run_bf16_and_the_loss_math_float32(classroom, granularity):
    distiller = build(classroom, kf=dict(granularity=granularity)).train()
    seen = []
    distiller.mentors['teacher'].head.fc.register_forward_hook(
        lambda module, args, output: seen.append(output.dtype))
    inputs, samples, _ = batch()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = distiller(inputs, samples, mode='loss')
    assert seen == [torch.bfloat16]
    assert losses['loss_distill'].dtype == torch.float32
    for key in ('rank/teacher', 'active/teacher', 'temp/teacher', 'rank/student'):
        assert losses[key].dtype == torch.float32, key


def test_non_finite_student_is_reported(classroom):
    distiller = build(classroom).train()
    with torch.no_grad():
        distiller.student.head.fc.bias.fill_(float('inf'))
    inputs, samples, _ = batch()
    losses = distiller(inputs, samples, mode='loss')
    assert losses['nonfinite/student'].item() == 1.0
    assert losses['nonfinite/mentors'].item() == 0.0


def test_all_mentors_below_the_student_leaves_the_task_loss(classroom):
    distiller = build(classroom).train()
    inputs, samples, labels = batch()
    with torch.no_grad():  # a confident, correct student; mentors predict a wrong class
        distiller.student.head.fc.weight.zero_()
        distiller.student.head.fc.bias.zero_()
        for mentor in distiller.mentors.values():
            mentor.head.fc.weight.zero_()
            mentor.head.fc.bias.copy_(torch.nn.functional.one_hot(
                (labels[0] + 1) % 10, 10).float() * 5)
    samples = [type(samples[0])().set_gt_label(int(labels[0])) for _ in samples]
    losses = distiller(inputs, samples, mode='loss')
    assert losses['active/teacher'].item() == 0.0 and losses['active/vgg'].item() == 0.0
    assert losses['loss_distill'].item() == 0.0
    task = torch.nn.functional.cross_entropy(torch.zeros(len(samples), 10),
                                             labels[:1].expand(len(samples)))
    assert losses['loss'].item() == pytest.approx(losses['rank/student'].item() * task.item(),
                                                  rel=1e-5)


def test_a_mentor_may_share_the_students_architecture(classroom, tmp_path):
    # A stronger checkpoint of the student's own architecture is a legitimate mentor.
    student = classroom['student']
    path = save_seeded_checkpoint(student, str(tmp_path / 'born_again.pth'), seed=5)
    with logged_messages() as messages:
        distiller = build(classroom, mentors=[dict(name='born_again', model=student,
                                                   checkpoint=path)])
    assert list(distiller.mentors) == ['born_again'] and messages == []
    with logged_messages() as messages:
        build(classroom, mentors=[dict(name='untrained', model=student)])
    assert messages == ["mentor 'untrained' has no checkpoint: it teaches with untrained "
                        'weights']


def twin_classroom(classroom, tmp_path, **options):
    """The student plus a twin mentor holding the student's own weights, and a peer."""
    from mmengine.registry import MODELS
    torch.manual_seed(3)
    student = MODELS.build(classroom['student'])
    path = save_zoo_checkpoint(student, str(tmp_path / 'twin.pth'))
    twin = dict(name='twin', model=classroom['student'], checkpoint=path)
    distiller = build(classroom, mentors=[twin, classroom['mentors'][1]], **options)
    distiller.student.load_state_dict(student.state_dict())
    return distiller.eval()  # both in eval: their outputs are bit-identical


@pytest.mark.parametrize('ranking', ['softmax', 'uniform'])
@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_a_twin_mentor_never_teaches(classroom, tmp_path, ranking, granularity):
    distiller = twin_classroom(classroom, tmp_path,
                               kf=dict(ranking=ranking, granularity=granularity))
    inputs, samples, _ = batch()
    losses = distiller(inputs, samples, mode='loss')
    assert losses['rank/twin'].item() == losses['rank/student'].item()
    assert losses['active/twin'].item() == 0.0


def constant_classifier(bias):
    """A two-class CIFAR classifier whose logits are ``bias`` for every input."""
    from mmengine.registry import MODELS
    model = MODELS.build(classifier('resnet8', num_classes=2))
    with torch.no_grad():
        model.head.fc.weight.zero_()
        model.head.fc.bias.copy_(torch.tensor(bias))
    return model


def test_sample_mode_weights_each_samples_task_loss_by_its_own_rank(tmp_path):
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
def test_every_mentor_nan_leaves_the_plain_task_loss(classroom, granularity):
    distiller = build(classroom, kf=dict(granularity=granularity)).train()
    with torch.no_grad():
        for mentor in distiller.mentors.values():
            mentor.head.fc.bias.fill_(float('nan'))
    inputs, samples, _ = batch()
    losses = distiller(inputs, samples, mode='loss')
    plain = distiller.student.loss(inputs, samples)['loss']
    if granularity == 'batch':
        assert losses['loss'].item() == plain.item()
    else:  # (L / Σ L_i) · Σ 1 · L_i: equal up to float rounding
        assert losses['loss'].item() == pytest.approx(plain.item(), rel=1e-6)
    assert losses['loss_distill'].item() == 0.0
    assert losses['nonfinite/mentors'].item() == 2.0
    assert losses['active/teacher'].item() == losses['active/vgg'].item() == 0.0


def test_unsupported_models_are_refused_with_the_supported_ones_named(classroom):
    multi_label = dict(type='ImageClassifier', backbone=dict(type='CifarResNet', depth=8),
                       neck=dict(type='GlobalAveragePooling'),
                       head=dict(type='MultiLabelLinearClsHead', num_classes=10,
                                 in_channels=64))
    with pytest.raises(TypeError, match='cannot read a ImageClassifier with a '
                                        'MultiLabelLinearClsHead as a student; supported: '
                                        '.*single-label MMPretrain classifiers'):
        build(classroom, student=multi_label)
    with pytest.raises(TypeError, match="mentor 'tagger' is a ImageClassifier with a "
                                        'MultiLabelLinearClsHead.*supported: single-label'):
        build(classroom, mentors=[dict(name='tagger', model=multi_label)])


def test_torchvision_mentor_is_accepted(classroom):
    squeezenet = dict(name='squeezenet', model=dict(type='TorchvisionClassifier',
                                                    name='squeezenet1_1', num_classes=10))
    distiller = build(classroom, mentors=[squeezenet], rank_weights=False).train()
    inputs, samples, _ = batch(n=2)
    assert torch.isfinite(distiller(inputs, samples, mode='loss')['loss_distill'])


def test_without_mentors_only_evaluation_runs(classroom, tmp_path):
    missing = [dict(m, checkpoint=str(tmp_path / 'nowhere.pth')) for m in classroom['mentors']]
    distiller = build(classroom, mentors=missing, build_mentors=False)
    assert len(distiller.mentors) == 0
    inputs, samples, _ = batch()
    assert distiller(inputs, samples, mode='predict')[0].pred_score.shape == (10,)
    with pytest.raises(RuntimeError, match='build_mentors=False.*needs its mentors'):
        distiller.train()(inputs, samples, mode='loss')


def test_a_head_loss_that_cannot_be_split_falls_back_with_one_warning(classroom):
    distiller = build(classroom, kf=dict(granularity='sample')).train()
    head = distiller.student.head
    original = head.loss

    def loss_twice(feats, data_samples, **kwargs):  # a head that calls its loss module twice
        first = original(feats, data_samples, **kwargs)
        second = original(feats, data_samples, **kwargs)
        return dict(loss=(first['loss'] + second['loss']) / 2)

    head.loss = loss_twice
    inputs, samples, _ = batch()
    with logged_messages() as messages:
        for _ in range(2):
            losses = distiller(inputs, samples, mode='loss')
    assert len(messages) == 1
    assert 'LinearClsHead cannot be split per sample (RuntimeError: its loss module ran 2 ' \
           'times' in messages[0]
    plain = distiller.student.loss(inputs, samples)['loss']
    assert losses['loss'].item() == pytest.approx(plain.item() * losses['rank/student'].item(),
                                                  rel=1e-5)


def test_dtkd_configs_use_dtkds_own_cifar_tau():
    import glob
    from classroomkd_mm.engine import read_config
    from runner_utils import REPO
    configs = sorted(glob.glob(f'{REPO}/configs/cifar100/*_dtkd.py'))
    assert len(configs) == 11
    for path in configs:
        mentoring = read_config(path).model.mentoring
        assert (mentoring.mode, mentoring.base_temperature) == ('dtkd', 4.0), path


def test_timm_classifier_task_loss_splits_per_sample():
    # TimmClassifier keeps its loss module on the classifier itself, not on a head.
    from mmengine.registry import MODELS
    from classroomkd_mm.adapters import select_adapter
    torch.manual_seed(0)
    student = MODELS.build(dict(type='TimmClassifier', model_name='resnet10t',
                                num_classes=10)).eval()
    adapter = select_adapter(student)
    inputs, samples, _ = batch(n=3)
    losses, _, calls = adapter.student_loss(student, inputs, samples)
    weights = torch.tensor([0.2, 1.5, 0.9])
    weighted = adapter.weigh_per_sample(student, losses, calls, weights,
                                        torch.ones(3, dtype=torch.bool))
    alone = torch.stack([student.loss(inputs[i:i + 1], samples[i:i + 1])['loss']
                         for i in range(3)])
    assert weighted['loss'].item() == pytest.approx((weights * alone).mean().item(), rel=1e-5)
    assert adapter.per_sample_failure is None
