"""The classroom loss (docs/method.md, Eq. 10) pinned to hand-computed numbers: the step
(KF, Mentoring, the distillation term), both task-weighting modes, the NaN policy and the
telemetry it returns."""
import math

import pytest
import torch

from classroomkd_mm import telemetry
from classroomkd_mm.core import ClassroomKDLoss, TaskLoss, dtkd_temperatures, temperature_kl
from log_capture import logged_messages

LN3 = math.log(3.0)
# KL(softmax([ln 3, 0]) || softmax([0, 0])) = 0.75 ln 1.5 + 0.25 ln 0.5
KL_3_TO_1 = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)


def batch_values(values):
    """Batch mode broadcasts one value per model over the samples: that value."""
    assert torch.equal(values, values[..., :1].expand_as(values))
    return values[..., 0]


def classroom_step(loss_module, confidence, mentor_logits):
    """Two samples, two classes; the student predicts uniform logits."""
    n = confidence.shape[1]
    return loss_module.step(confidence, torch.ones(n, dtype=torch.bool),
                            torch.ones(confidence.shape[0], dtype=torch.bool),
                            [torch.zeros(n, 1, 2)], [mentor_logits], [torch.ones(n, 1)])


def soft_target(scale):
    """Logits whose softmax at temperature ``scale`` is [0.75, 0.25]."""
    return torch.tensor([scale * LN3, 0.0])


def test_eq10_batch_mode():
    # w = [0.5, 0.8, 0.2], λ = 2: r = 2w/1.5 = [2/3, 16/15, 4/15]; A teaches, B does not.
    # Δr_A = (16/15 − 2/3)/(16/15) = 0.375 → τ_A = 1 + 12·0.375 = 5.5; Δr_B = 0.6 → τ_B = 8.2.
    confidence = torch.tensor([[0.5, 0.5], [0.8, 0.8], [0.2, 0.2]])
    mentors = torch.stack([soft_target(5.5).expand(2, 1, 2), torch.zeros(2, 1, 2)])
    step = classroom_step(ClassroomKDLoss(), confidence, mentors)
    assert batch_values(step.ranking.ranks).tolist() == pytest.approx([2 / 3, 16 / 15, 4 / 15])
    assert batch_values(step.ranking.active).tolist() == [True, False]
    assert batch_values(step.temperature).tolist() == pytest.approx([5.5, 8.2])
    assert batch_values(step.task_weight).item() == pytest.approx(2 / 3)
    assert step.loss_distill.item() == pytest.approx(16 / 15 * 5.5 ** 2 * KL_3_TO_1)


def test_eq10_sample_mode_picks_a_mentor_per_sample():
    # Sample 0 ranks A above the student, sample 1 ranks B: each teaches its own sample.
    confidence = torch.tensor([[0.5, 0.5], [0.8, 0.2], [0.2, 0.8]])
    target = soft_target(5.5)
    mentors = torch.stack([torch.stack([target, torch.zeros(2)]),
                           torch.stack([torch.zeros(2), target])]).unsqueeze(2)
    step = classroom_step(ClassroomKDLoss(kf=dict(granularity='sample')), confidence, mentors)
    assert step.ranking.active.tolist() == [[True, False], [False, True]]
    assert step.temperature[0, 0].item() == pytest.approx(5.5)
    assert step.temperature[1, 1].item() == pytest.approx(5.5)
    assert step.task_weight.tolist() == pytest.approx([2 / 3, 2 / 3])  # r^s_i per sample
    assert step.loss_distill.item() == pytest.approx(16 / 15 * 5.5 ** 2 * KL_3_TO_1)


def test_method_b_in_the_full_step():
    # w = [0.5, 0.8, 0.2] → positions [1, 2, 0] → r = [0.2, 0.3, 0.1]; Δr_A = 1/3 → τ_A = 5.
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    mentors = torch.stack([soft_target(5.0).reshape(1, 1, 2), torch.zeros(1, 1, 2)])
    step = classroom_step(ClassroomKDLoss(kf=dict(ranking='uniform')), confidence, mentors)
    assert step.ranking.ranks[:, 0].tolist() == pytest.approx([0.2, 0.3, 0.1])
    assert step.temperature[0, 0].item() == pytest.approx(5.0)
    assert step.task_weight.item() == pytest.approx(0.2)
    assert step.loss_distill.item() == pytest.approx(0.3 * 25 * KL_3_TO_1)


def test_aver_and_kd_baselines():
    # AVER: every mentor, fixed τ = 4, weight 1/λ, task weight 1.
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    mentors = torch.stack([soft_target(4.0).reshape(1, 1, 2)] * 2)
    aver = ClassroomKDLoss(kf=dict(enabled=False), mentoring=dict(enabled=False),
                           mentor_weights='equal')
    step = classroom_step(aver, confidence, mentors)
    assert step.ranking.active[:, 0].tolist() == [True, True]
    assert step.task_weight.item() == 1.0
    assert step.loss_distill.item() == pytest.approx(16 * KL_3_TO_1)  # (1/2 + 1/2)·τ²·KL
    kd = classroom_step(aver, confidence[:2], mentors[:1])  # one teacher: Hinton's KD
    assert kd.loss_distill.item() == pytest.approx(16 * KL_3_TO_1)


def test_kf_off_keeps_rank_weights_and_temperatures():
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    mentors = torch.stack([soft_target(5.5).reshape(1, 1, 2), soft_target(8.2).reshape(1, 1, 2)])
    step = classroom_step(ClassroomKDLoss(kf=dict(enabled=False)), confidence, mentors)
    assert step.ranking.active[:, 0].tolist() == [True, True]
    expected = (16 / 15 * 5.5 ** 2 + 4 / 15 * 8.2 ** 2) * KL_3_TO_1
    assert step.loss_distill.item() == pytest.approx(expected, rel=1e-5)


def test_dtkd_mode_in_the_full_step():
    # A is active (as in test_eq10_batch_mode); DTKD at τ0 = 3 with z_A = [4, 0], z_s = [2, 1].
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    mentors = torch.tensor([[[[4.0, 0.0]]], [[[0.0, 0.0]]]])
    loss = ClassroomKDLoss(mentoring=dict(mode='dtkd', base_temperature=3.0))
    step = loss.step(confidence, torch.ones(1, dtype=torch.bool), torch.ones(3, dtype=torch.bool),
                     [torch.tensor([[[2.0, 1.0]]])], [mentors], [torch.ones(1, 1)])
    expected = temperature_kl(torch.tensor([[2.0, 1.0]]), torch.tensor([[4.0, 0.0]]),
                              torch.tensor([[4.0]]), torch.tensor([[2.0]])).item()
    assert step.loss_distill.item() == pytest.approx(16 / 15 * expected)


def test_dtkd_temperatures_are_constants_of_the_step():
    # The gradient with DTKD equals that of the KL at the same, fixed temperatures.
    mentor = torch.tensor([[[[4.0, 0.0, 1.0]]]])
    student = torch.tensor([[[2.0, 1.0, -1.0]]], requires_grad=True)
    loss = ClassroomKDLoss(kf=dict(enabled=False), mentoring=dict(mode='dtkd',
                                                                  base_temperature=3.0))
    step = loss.step(torch.tensor([[0.5], [0.8]]), torch.ones(1, dtype=torch.bool),
                     torch.ones(2, dtype=torch.bool), [student], [mentor], [torch.ones(1, 1)])
    [dtkd_grad] = torch.autograd.grad(step.loss_distill, student)
    t_mentor, t_student = dtkd_temperatures(mentor[0], student.detach(), 3.0)
    fixed = student.clone().detach().requires_grad_(True)
    # one mentor (λ = 1): r^m = 0.8 / 1.3
    expected = temperature_kl(fixed, mentor[0], t_mentor, t_student).sum() * 0.8 / 1.3
    [fixed_grad] = torch.autograd.grad(expected, fixed)
    assert torch.allclose(dtkd_grad, fixed_grad, rtol=1e-6, atol=0)


def test_official_code_parity():
    # shares 1/3, 8/15, 2/15 round to 0.33, 0.53, 0.13 → r = [0.66, 1.06, 0.26];
    # the task weight is the raw student confidence w^s = 0.5.
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    mentors = torch.zeros(2, 1, 1, 2)
    step = classroom_step(ClassroomKDLoss(official_code_parity=True), confidence, mentors)
    assert step.ranking.ranks[:, 0].tolist() == pytest.approx([0.66, 1.06, 0.26])
    assert step.task_weight.item() == pytest.approx(0.5)


def test_unavailable_mentor_never_teaches_and_is_not_counted():
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    step = ClassroomKDLoss().step(confidence, torch.ones(1, dtype=torch.bool),
                                  torch.tensor([True, False, True]), [torch.zeros(1, 1, 2)],
                                  [torch.zeros(2, 1, 1, 2)], [torch.ones(1, 1)])
    assert step.ranking.active[:, 0].tolist() == [False, False]
    # without A, w = [0.5, 0, 0.2] and λ = 1 (one mentor takes part): r = w/0.7; B still
    # ranks below the student
    assert step.ranking.ranks[:, 0].tolist() == pytest.approx([0.5 / 0.7, 0.0, 0.2 / 0.7])
    assert step.task_weight.item() == pytest.approx(0.5 / 0.7)
    method_b = ClassroomKDLoss(kf=dict(ranking='uniform')).step(
        confidence, torch.ones(1, dtype=torch.bool), torch.tensor([True, False, True]),
        [torch.zeros(1, 1, 2)], [torch.zeros(2, 1, 1, 2)], [torch.ones(1, 1)])
    assert method_b.ranking.ranks[:, 0].tolist() == pytest.approx([0.2, 0.0, 0.1])


@pytest.mark.parametrize('kf', [dict(), dict(ranking='uniform'), dict(granularity='sample'),
                                dict(enabled=False)])
@pytest.mark.parametrize('mentor_weights', ['rank', 'equal', 'ca_mkd'])
def test_no_mentor_taking_part_leaves_the_plain_task_loss(kf, mentor_weights):
    confidence = torch.tensor([[0.5, 0.9], [0.8, 0.1], [0.2, 0.3]])
    step = ClassroomKDLoss(kf=kf, mentor_weights=mentor_weights).step(
        confidence, torch.ones(2, dtype=torch.bool), torch.tensor([True, False, False]),
        [torch.zeros(2, 1, 2)], [torch.ones(2, 2, 1, 2)], [torch.ones(2, 1)])
    assert step.task_weight.tolist() == [1.0, 1.0]
    assert step.loss_distill.item() == 0.0
    assert not step.ranking.active.any()
    assert step.ranking.ranks[1:].abs().sum().item() == 0.0


def test_no_valid_sample_falls_back_to_the_task_loss():
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    step = ClassroomKDLoss().step(confidence, torch.zeros(1, dtype=torch.bool),
                                  torch.ones(3, dtype=torch.bool), [torch.zeros(1, 1, 2)],
                                  [torch.ones(2, 1, 1, 2)], [torch.zeros(1, 1)])
    assert step.task_weight.item() == 1.0
    assert step.loss_distill.item() == 0.0


def test_ranking_carries_no_gradient():
    confidence = torch.tensor([[0.5], [0.8], [0.2]], requires_grad=True)
    student = torch.zeros(1, 1, 2, requires_grad=True)
    step = ClassroomKDLoss().step(confidence, torch.ones(1, dtype=torch.bool),
                                  torch.ones(3, dtype=torch.bool), [student],
                                  [soft_target(5.5).reshape(1, 1, 1, 2).expand(2, 1, 1, 2)],
                                  [torch.ones(1, 1)])
    assert not step.task_weight.requires_grad and not step.ranking.ranks.requires_grad
    step.loss_distill.backward()
    assert confidence.grad is None and student.grad is not None


@pytest.mark.parametrize('kwargs, message', [
    (dict(kf=dict(granularity='pixel')), 'kf.granularity'),
    (dict(mentoring=dict(base_temperature=0)), 'base_temperature'),
    (dict(distill_weight=-0.1), 'distill_weight'),
    (dict(mentor_weights='softmax'), "mentor_weights='softmax' is unknown"),
    (dict(mentor_weights='ca_mkd', rank_weights=False), 'rank_weights is the earlier name'),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClassroomKDLoss(**kwargs)


@pytest.mark.parametrize('rank_weights, mentor_weights', [(None, 'rank'), (True, 'rank'),
                                                          (False, 'equal')])
def test_rank_weights_is_the_earlier_name_of_mentor_weights(rank_weights, mentor_weights):
    assert ClassroomKDLoss(rank_weights=rank_weights).mentor_weights == mentor_weights
    assert ClassroomKDLoss(mentor_weights=mentor_weights,
                           rank_weights=rank_weights).mentor_weights == mentor_weights


def unsplittable(num_samples):
    raise RuntimeError('its loss module ran 2 times in one loss()')


def task(losses, per_sample=unsplittable):
    return TaskLoss(losses, per_sample, 'SomeHead')


def one_sample_step(loss, losses, mentor_b=torch.zeros(1, 1, 2), confidence_b=0.2):
    """The batch of test_eq10_batch_mode, one sample: w = [0.5, 0.8, w_B]; the student's
    logits are uniform and mentor A's softmax at τ = 5.5 is [0.75, 0.25]."""
    student = torch.zeros(1, 1, 2, requires_grad=True)
    mentors = {'A': [soft_target(5.5).reshape(1, 1, 2)], 'B': [mentor_b]}
    out = loss(torch.tensor([[0.5], [0.8], [confidence_b]]), torch.ones(1, dtype=torch.bool),
               [student], mentors, [torch.ones(1, 1)], task(losses))
    return out, student


def test_batch_mode_weights_every_loss_key_by_the_students_rank():
    accuracy = torch.tensor(0.9)
    out, _ = one_sample_step(ClassroomKDLoss(), dict(loss=torch.tensor(3.0),
                                                     loss_aux=torch.tensor(1.5), acc=accuracy))
    # r^s = 2/3 (test_eq10_batch_mode); a key without "loss" in its name is left alone
    assert out['loss'].item() == pytest.approx(2.0)
    assert out['loss_aux'].item() == pytest.approx(1.0)
    assert out['acc'] is accuracy
    assert out['loss_distill'].item() == pytest.approx(16 / 15 * 5.5 ** 2 * KL_3_TO_1)
    assert list(out) == ['loss', 'loss_aux', 'acc', 'loss_distill', 'rank/student',
                         'nonfinite/student', 'valid/fraction', 'rank/A', 'active/A', 'temp/A',
                         'rank/B', 'active/B', 'temp/B', 'nonfinite/mentors']


def sample_mode_losses(loss, per_sample):
    """Two samples, one mentor: p^s = [0.5, 0.1], p^m = [0.5, 0.9] give r^s_i = p^s_i /
    (p^s_i + p^m_i) = [0.5, 0.1]. The head's loss is 3 (the mean of [2, 4]); an auxiliary
    loss is 1."""
    return loss(torch.tensor([[0.5, 0.1], [0.5, 0.9]]), torch.ones(2, dtype=torch.bool),
                [torch.zeros(2, 1, 2)], {'m': [torch.zeros(2, 1, 2)]}, [torch.ones(2, 1)],
                task(dict(loss=torch.tensor(3.0), loss_aux=torch.tensor(1.0)), per_sample))


def test_sample_mode_weights_each_samples_task_loss_by_its_own_rank():
    per_sample = torch.tensor([2.0, 4.0], requires_grad=True)
    out = sample_mode_losses(ClassroomKDLoss(kf=dict(granularity='sample')),
                             lambda n: ('loss', per_sample))
    # (L / Σ_i L_i) · Σ_i r^s_i L_i = (3/6) · (0.5·2 + 0.1·4); the ratio is a constant
    assert out['loss'].item() == pytest.approx(0.7)
    out['loss'].backward()
    assert per_sample.grad.tolist() == pytest.approx([0.25, 0.05])
    assert out['loss_aux'].item() == pytest.approx(0.3)  # other keys: the mean r^s
    assert out['rank/student'].item() == pytest.approx(0.3)


def test_a_task_loss_that_cannot_be_split_is_weighted_by_the_mean_rank_with_one_warning():
    loss = ClassroomKDLoss(kf=dict(granularity='sample'))
    tries = []

    def per_sample(num_samples):
        tries.append(num_samples)
        unsplittable(num_samples)

    with logged_messages() as messages:
        for _ in range(2):
            out = sample_mode_losses(loss, per_sample)
    assert tries == [2]  # not tried again once known
    assert messages == ["granularity='sample': the task loss of SomeHead cannot be split per "
                        'sample (RuntimeError: its loss module ran 2 times in one loss()); it '
                        'is weighted by the mean student rank over the batch instead']
    assert out['loss'].item() == pytest.approx(0.3 * 3.0)
    assert out['loss_aux'].item() == pytest.approx(0.3)


def test_a_non_finite_mentor_is_dropped_zeroed_and_reported():
    # Mentor B's logits and confidence are NaN: without it w = [0.5, 0.8], λ = 1,
    # r = w / 1.3 = [5/13, 8/13]; A teaches at τ = 1 + 12 · (3/13)/(8/13) = 5.5.
    out, student = one_sample_step(ClassroomKDLoss(), dict(loss=torch.tensor(1.0)),
                                   mentor_b=torch.full((1, 1, 2), float('nan')),
                                   confidence_b=float('nan'))
    expected = {'loss': 5 / 13, 'loss_distill': 8 / 13 * 5.5 ** 2 * KL_3_TO_1,
                telemetry.rank_key('student'): 5 / 13, telemetry.rank_key('A'): 8 / 13,
                telemetry.rank_key('B'): 0.0, telemetry.active_key('A'): 1.0,
                telemetry.active_key('B'): 0.0, telemetry.temperature_key('A'): 5.5,
                telemetry.NONFINITE_STUDENT: 0.0, telemetry.NONFINITE_MENTORS: 1.0,
                telemetry.VALID_FRACTION: 1.0}
    assert {key: out[key].item() for key in expected} == pytest.approx(expected)
    out['loss_distill'].backward()
    assert torch.isfinite(student.grad).all()


def test_a_non_finite_student_is_reported():
    loss = ClassroomKDLoss()
    out = loss(torch.tensor([[float('nan')], [0.8]]), torch.ones(1, dtype=torch.bool),
               [torch.full((1, 1, 2), float('inf'))], {'A': [torch.zeros(1, 1, 2)]},
               [torch.ones(1, 1)], task(dict(loss=torch.tensor(1.0))))
    assert out[telemetry.NONFINITE_STUDENT].item() == 1.0
    assert out[telemetry.NONFINITE_MENTORS].item() == 0.0
