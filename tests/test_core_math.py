"""Every equation of METHOD.md pinned to hand-computed numbers."""
import math

import pytest
import torch

from classroomkd_mm.core import (AUTHORS_CODE, PAPER, ClassroomKDLoss, KnowledgeFilter,
                                 Mentoring, active_mentors, adaptive_temperature,
                                 batch_confidence, confidence_share_rank, departures,
                                 dtkd_temperatures, rank_gap, temperature_kl, uniform_rank)
from log_capture import logged_messages

LN3 = math.log(3.0)
# KL(softmax([ln 3, 0]) || softmax([0, 0])) = 0.75 ln 1.5 + 0.25 ln 0.5
KL_3_TO_1 = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)


ALL = torch.tensor([True, True])


def test_batch_confidence_geometric_and_arithmetic():  # Eq. 4
    p = torch.tensor([[0.5, 0.2], [0.8, 0.2]])
    valid = torch.tensor([True, True])
    geometric, available = batch_confidence(p, valid, ALL, 'geometric')
    assert geometric.tolist() == pytest.approx([math.sqrt(0.1), 0.4])
    assert available.tolist() == [True, True]
    assert batch_confidence(p, valid, ALL, 'arithmetic')[0].tolist() == pytest.approx([0.35, 0.5])
    only_first, _ = batch_confidence(p, torch.tensor([True, False]), ALL, 'geometric')
    assert only_first.tolist() == pytest.approx([0.5, 0.8])


def test_batch_confidence_sums_statistics_and_availability_across_processes():
    # One all-reduce carries the per-model sums, the sample count and, per model, the number
    # of processes where it is not available: here the other process lost model 1.
    p = torch.tensor([[0.5], [0.8]])
    doubled, available = batch_confidence(
        p, torch.tensor([True]), ALL, 'arithmetic',
        sum_reduce=lambda s: s + torch.tensor([0.1, 0.2, 1.0, 0.0, 1.0]))
    assert doubled.tolist() == pytest.approx([0.3, 0.5])  # (0.5+0.1)/2, (0.8+0.2)/2
    assert available.tolist() == [True, False]


def test_confidence_share_rank_and_active_mentors():  # Eqs. 5-6
    ranks = confidence_share_rank(torch.tensor([0.2, 0.4, 0.1, 0.3]), num_mentors=3)
    assert ranks.tolist() == pytest.approx([0.6, 1.2, 0.3, 0.9])
    assert active_mentors(ranks[1:], ranks[:1]).tolist() == [True, False, True]


def test_parity_rounds_shares_and_lets_ties_teach():
    ranks = confidence_share_rank(torch.tensor([0.123, 0.456, 0.421]), 2, round_decimals=2)
    assert ranks.tolist() == pytest.approx([0.24, 0.92, 0.84])
    tied = torch.tensor([0.5, 0.5, 0.7])
    assert active_mentors(tied[1:], tied[:1]).tolist() == [False, True]
    assert active_mentors(tied[1:], tied[:1], ties_teach=True).tolist() == [True, True]


def test_uniform_rank_method_b():  # Eqs. 11-12
    everyone = torch.ones(4, dtype=torch.bool)
    ranks = uniform_rank(torch.tensor([0.05, 0.6, 0.25, 0.1]), everyone, beta=0.1)
    assert ranks.tolist() == pytest.approx([0.1, 0.4, 0.3, 0.2])
    # ties share a position; a model not taking part ranks 0 and occupies none
    ranks = uniform_rank(torch.tensor([0.5, 0.5, 0.9, 0.1]),
                         torch.tensor([True, True, False, True]), beta=0.1)
    assert ranks.tolist() == pytest.approx([0.2, 0.2, 0.0, 0.1])


def test_rank_gap_and_adaptive_temperature():  # Eqs. 8-9
    gap = rank_gap(torch.tensor([1.2, 0.3, 0.9]), torch.tensor([0.6]))
    assert gap.tolist() == pytest.approx([0.5, 0.5, 1 / 3])
    assert adaptive_temperature(gap, 12.0).tolist() == pytest.approx([7.0, 7.0, 5.0])


def test_temperature_kl_scales_by_tau_squared():  # Eq. 7
    student = torch.zeros(1, 2)
    assert temperature_kl(student, torch.tensor([[LN3, 0.0]]),
                          torch.tensor([[1.0]])).item() == pytest.approx(KL_3_TO_1)
    assert temperature_kl(student, torch.tensor([[2 * LN3, 0.0]]),
                          torch.tensor([[2.0]])).item() == pytest.approx(4 * KL_3_TO_1)


def test_dtkd_temperatures_and_loss():
    mentor, student = torch.tensor([[4.0, 0.0]]), torch.tensor([[2.0, 1.0]])
    t_mentor, t_student = dtkd_temperatures(mentor, student, 3.0)
    assert (t_mentor.item(), t_student.item()) == pytest.approx((4.0, 2.0))  # 2·3·4/6, 2·3·2/6
    p = [math.e / (math.e + 1), 1 / (math.e + 1)]                 # softmax([1, 0])
    q = [math.exp(0.5) / (math.exp(0.5) + 1), 1 / (math.exp(0.5) + 1)]  # softmax([1, 0.5])
    expected = 8 * sum(a * math.log(a / b) for a, b in zip(p, q))
    assert temperature_kl(student, mentor, t_mentor, t_student).item() == pytest.approx(expected, rel=1e-5)


def batch_values(values):
    """Batch mode broadcasts one value per model over the samples: that value."""
    assert torch.equal(values, values[..., :1].expand_as(values))
    return values[..., 0]


def classroom_step(loss_module, confidence, mentor_logits):
    """Two samples, two classes; the student predicts uniform logits."""
    n = confidence.shape[1]
    return loss_module(confidence, torch.ones(n, dtype=torch.bool),
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
                           rank_weights=False)
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


def test_mentoring_off_uses_one_fixed_temperature():
    ranks = torch.tensor([0.6, 1.2, 0.3])
    assert Mentoring(enabled=False, fixed_temperature=4.0)(ranks).tolist() == [4.0, 4.0]
    assert Mentoring(enabled=False, official_code_parity=True)(ranks).tolist() == [1.0, 1.0]


def test_dtkd_mode_in_the_full_step():
    # A is active (as in test_eq10_batch_mode); DTKD at τ0 = 3 with z_A = [4, 0], z_s = [2, 1].
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    mentors = torch.tensor([[[[4.0, 0.0]]], [[[0.0, 0.0]]]])
    loss = ClassroomKDLoss(mentoring=dict(mode='dtkd', base_temperature=3.0))
    step = loss(confidence, torch.ones(1, dtype=torch.bool), torch.ones(3, dtype=torch.bool),
                [torch.tensor([[[2.0, 1.0]]])], [mentors], [torch.ones(1, 1)])
    expected = temperature_kl(torch.tensor([[2.0, 1.0]]), torch.tensor([[4.0, 0.0]]),
                              torch.tensor([[4.0]]), torch.tensor([[2.0]])).item()
    assert step.loss_distill.item() == pytest.approx(16 / 15 * expected)


def test_parity_departures_live_in_one_place():
    assert departures(False) is PAPER and departures(True) is AUTHORS_CODE
    assert (PAPER.share_decimals, PAPER.ties_teach, PAPER.task_weight_is_confidence,
            PAPER.mentoring_off_temperature) == (None, False, False, None)
    assert (AUTHORS_CODE.share_decimals, AUTHORS_CODE.ties_teach,
            AUTHORS_CODE.task_weight_is_confidence,
            AUTHORS_CODE.mentoring_off_temperature) == (2, True, True, 1.0)


def test_parity_logs_the_fixed_temperature_it_overrides():
    with logged_messages() as overridden:
        mentoring = Mentoring(enabled=False, fixed_temperature=4.0, official_code_parity=True)
    assert mentoring.fixed_temperature == 1.0
    assert len(overridden) == 1 and 'mentoring.fixed_temperature=4.0' in overridden[0]
    with logged_messages() as unset:
        Mentoring(enabled=False, official_code_parity=True)
        Mentoring(enabled=False, fixed_temperature=1.0, official_code_parity=True)
        assert Mentoring(enabled=False).fixed_temperature == 4.0
    assert unset == []


def test_dtkd_temperatures_are_constants_of_the_step():
    # The gradient with DTKD equals that of the KL at the same, fixed temperatures.
    mentor = torch.tensor([[[[4.0, 0.0, 1.0]]]])
    student = torch.tensor([[[2.0, 1.0, -1.0]]], requires_grad=True)
    loss = ClassroomKDLoss(kf=dict(enabled=False), mentoring=dict(mode='dtkd',
                                                                  base_temperature=3.0))
    step = loss(torch.tensor([[0.5], [0.8]]), torch.ones(1, dtype=torch.bool),
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
    step = ClassroomKDLoss()(confidence, torch.ones(1, dtype=torch.bool),
                             torch.tensor([True, False, True]), [torch.zeros(1, 1, 2)],
                             [torch.zeros(2, 1, 1, 2)], [torch.ones(1, 1)])
    assert step.ranking.active[:, 0].tolist() == [False, False]
    # without A, w = [0.5, 0, 0.2] and λ = 1 (one mentor takes part): r = w/0.7; B still
    # ranks below the student
    assert step.ranking.ranks[:, 0].tolist() == pytest.approx([0.5 / 0.7, 0.0, 0.2 / 0.7])
    assert step.task_weight.item() == pytest.approx(0.5 / 0.7)
    method_b = ClassroomKDLoss(kf=dict(ranking='uniform'))(
        confidence, torch.ones(1, dtype=torch.bool), torch.tensor([True, False, True]),
        [torch.zeros(1, 1, 2)], [torch.zeros(2, 1, 1, 2)], [torch.ones(1, 1)])
    assert method_b.ranking.ranks[:, 0].tolist() == pytest.approx([0.2, 0.0, 0.1])


@pytest.mark.parametrize('kf', [dict(), dict(ranking='uniform'), dict(granularity='sample'),
                                dict(enabled=False)])
@pytest.mark.parametrize('rank_weights', [True, False])
def test_no_mentor_taking_part_leaves_the_plain_task_loss(kf, rank_weights):
    confidence = torch.tensor([[0.5, 0.9], [0.8, 0.1], [0.2, 0.3]])
    step = ClassroomKDLoss(kf=kf, rank_weights=rank_weights)(
        confidence, torch.ones(2, dtype=torch.bool), torch.tensor([True, False, False]),
        [torch.zeros(2, 1, 2)], [torch.ones(2, 2, 1, 2)], [torch.ones(2, 1)])
    assert step.task_weight.tolist() == [1.0, 1.0]
    assert step.loss_distill.item() == 0.0
    assert not step.ranking.active.any()
    assert step.ranking.ranks[1:].abs().sum().item() == 0.0


TIES = torch.tensor([[1.0], [1.0], [0.9]])  # the student ties with mentor A


@pytest.mark.parametrize('ranking, tied_rank', [('softmax', 2 / 2.9), ('uniform', 0.2)])
@pytest.mark.parametrize('granularity', ['batch', 'sample'])
def test_ties_share_a_rank_and_do_not_teach(ranking, tied_rank, granularity):
    kf = KnowledgeFilter(ranking=ranking, granularity=granularity)
    ranking_ = kf(TIES, torch.ones(1, dtype=torch.bool), torch.ones(3, dtype=torch.bool))
    assert ranking_.ranks[0, 0].item() == ranking_.ranks[1, 0].item() == pytest.approx(tied_rank)
    assert ranking_.active[:, 0].tolist() == [False, False]
    # the authors' code lets ties teach (official-code parity keeps that rule)
    parity = KnowledgeFilter(ranking=ranking, granularity=granularity, official_code_parity=True)
    assert parity(TIES, torch.ones(1, dtype=torch.bool),
                  torch.ones(3, dtype=torch.bool)).active[:, 0].tolist() == [True, False]


def test_no_valid_sample_falls_back_to_the_task_loss():
    confidence = torch.tensor([[0.5], [0.8], [0.2]])
    step = ClassroomKDLoss()(confidence, torch.zeros(1, dtype=torch.bool),
                             torch.ones(3, dtype=torch.bool), [torch.zeros(1, 1, 2)],
                             [torch.ones(2, 1, 1, 2)], [torch.zeros(1, 1)])
    assert step.task_weight.item() == 1.0
    assert step.loss_distill.item() == 0.0


def test_ranking_carries_no_gradient():
    confidence = torch.tensor([[0.5], [0.8], [0.2]], requires_grad=True)
    student = torch.zeros(1, 1, 2, requires_grad=True)
    step = ClassroomKDLoss()(confidence, torch.ones(1, dtype=torch.bool),
                             torch.ones(3, dtype=torch.bool), [student],
                             [soft_target(5.5).reshape(1, 1, 1, 2).expand(2, 1, 1, 2)],
                             [torch.ones(1, 1)])
    assert not step.task_weight.requires_grad and not step.ranking.ranks.requires_grad
    step.loss_distill.backward()
    assert confidence.grad is None and student.grad is not None


@pytest.mark.parametrize('kwargs, message', [
    (dict(kf=dict(ranking='median')), 'kf.ranking'),
    (dict(kf=dict(aggregate='harmonic')), 'kf.aggregate'),
    (dict(kf=dict(granularity='pixel')), 'kf.granularity'),
    (dict(mentoring=dict(mode='cosine')), 'mentoring.mode'),
    (dict(mentoring=dict(base_temperature=0)), 'base_temperature'),
    (dict(distill_weight=-0.1), 'distill_weight'),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClassroomKDLoss(**kwargs)


def test_knowledge_filter_sample_mode_shapes():
    kf = KnowledgeFilter(granularity='sample')
    ranking = kf(torch.rand(4, 3), torch.ones(3, dtype=torch.bool), torch.ones(4, dtype=torch.bool))
    assert ranking.ranks.shape == (4, 3) and ranking.active.shape == (3, 3)
    assert torch.allclose(ranking.ranks.sum(0), torch.full((3,), 3.0))
