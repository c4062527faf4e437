"""CA-MKD (logits): the confidence-aware mentor weights pinned to hand-computed numbers, in
the classroom loss, and as a method on the CIFAR-10 and LSP (SimCC) classrooms."""
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS

from classroomkd_mm.core import ClassroomKDLoss, ca_mkd_weights
from classroomkd_mm.experiments.methods import method_config
from classroom_utils import labelled_batch
from runner_utils import REPO

# Three mentors giving the label p = [1/2, 1/3, 1/6]: L = −log p = [ln 2, ln 3, ln 6], so
# exp(L) = [2, 3, 6] and exp(L_k)/Σ_j exp(L_j) = [2, 3, 6]/11; with K = 3,
# w = (1 − [2, 3, 6]/11)/2 = [9, 8, 5]/22.
CONFIDENCE = [[1 / 2], [1 / 3], [1 / 6]]
WEIGHTS = [9 / 22, 8 / 22, 5 / 22]
# KL(softmax([ln 3, 0]) || softmax([0, 0])) = 0.75 ln 1.5 + 0.25 ln 0.5
KL_3_TO_1 = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)


def test_three_mentors_hand_computed():
    weights = ca_mkd_weights(torch.tensor(CONFIDENCE))
    assert weights[:, 0].tolist() == pytest.approx(WEIGHTS, abs=1e-6)
    assert weights.sum(0).item() == pytest.approx(1.0, abs=1e-6)


def test_it_is_the_papers_formula_on_cross_entropies():
    # w_k = (1 − softmax_k(L)) / (K − 1), L_k the cross-entropy of mentor k's logits
    logits = torch.randn(4, 5, 10, generator=torch.Generator().manual_seed(0))
    labels = torch.randint(0, 10, (5,), generator=torch.Generator().manual_seed(1))
    cross_entropy = torch.stack([F.cross_entropy(z, labels, reduction='none') for z in logits])
    expected = (1 - cross_entropy.softmax(0)) / 3
    confidence = logits.softmax(-1).gather(-1, labels.expand(4, 5)[..., None]).squeeze(-1)
    assert torch.allclose(ca_mkd_weights(confidence), expected, atol=1e-6)


def test_two_mentors_weigh_by_their_share_of_the_confidence():
    # K = 2: w_1 = 1 − (1/p_1)/(1/p_1 + 1/p_2) = p_1/(p_1 + p_2): [0.8, 0.2] and [0.5, 0.5]
    weights = ca_mkd_weights(torch.tensor([[0.8, 0.3], [0.2, 0.3]]))
    assert torch.allclose(weights, torch.tensor([[0.8, 0.5], [0.2, 0.5]]), rtol=0, atol=1e-6)


def test_one_mentor_weighs_one():
    assert ca_mkd_weights(torch.tensor([[0.1, 0.9]])).tolist() == [[1.0, 1.0]]


def test_the_more_confident_mentor_weighs_more():
    confidence = torch.tensor([[0.9, 0.05], [0.6, 0.05], [0.1, 0.9]])
    weights = ca_mkd_weights(confidence)
    assert (weights[0, 0] > weights[1, 0] > weights[2, 0]).item()
    assert (weights[2, 1] > weights[0, 1]).item()
    assert weights.sum(0).tolist() == pytest.approx([1.0, 1.0], abs=1e-6)


def test_mentors_not_taking_part_weigh_zero_and_are_not_counted():
    # sample 0 without the second mentor: K = 2 on p = [1/2, 1/6] → [0.75, 0.25];
    # sample 1: every mentor out → all zero
    confidence = torch.tensor([[1 / 2, 0.5], [1 / 3, 0.5], [1 / 6, 0.5]])
    taking_part = torch.tensor([[True, False], [False, False], [True, False]])
    weights = ca_mkd_weights(confidence, taking_part)
    assert torch.allclose(weights, torch.tensor([[0.75, 0.0], [0.0, 0.0], [0.25, 0.0]]),
                          rtol=0, atol=1e-6)


def ca_mkd_step(available=(True, True, True, True), distill_weight=1.0):
    """The student (uniform logits, p^s = 0.5) and the three mentors of CONFIDENCE, whose
    softmax at τ = 4 is [0.75, 0.25], uniform and [0.25, 0.75]: τ²·KL = 16·[KL, 0, KL]."""
    mentors = torch.tensor([[4 * math.log(3), 0.0], [0.0, 0.0], [0.0, 4 * math.log(3)]])
    loss = ClassroomKDLoss(kf=dict(enabled=False), mentoring=dict(enabled=False),
                           mentor_weights='ca_mkd', distill_weight=distill_weight)
    return loss.step(torch.tensor([[0.5], *CONFIDENCE]), torch.ones(1, dtype=torch.bool),
                     torch.tensor(available), [torch.zeros(1, 1, 2)],
                     [mentors.reshape(3, 1, 1, 2)], [torch.ones(1, 1)])


def test_the_distillation_term_is_the_ca_mkd_weighted_sum_of_the_mentors_kls():
    step = ca_mkd_step(distill_weight=2.0)
    # 2 · (9/22 · 16 KL + 8/22 · 0 + 5/22 · 16 KL)
    assert step.loss_distill.item() == pytest.approx(2 * 14 / 22 * 16 * KL_3_TO_1, rel=1e-6)
    assert step.task_weight.item() == 1.0
    assert step.ranking.active[:, 0].tolist() == [True, True, True]  # no Knowledge Filtering


def test_an_unavailable_mentor_is_left_out_of_the_weights():
    # without the second mentor: weights [0.75, 0.25] on 16·[KL, KL]
    step = ca_mkd_step(available=(True, True, False, True))
    assert step.loss_distill.item() == pytest.approx(16 * KL_3_TO_1, rel=1e-6)


def test_the_method_trains_a_step_on_the_cifar10_classroom(monkeypatch, pretrain_scope):
    monkeypatch.chdir(REPO)  # the shipped mentor files are named relative to the checkout
    cfg = method_config(osp.join(REPO, 'configs', 'cifar10', 'classroom_resnet8.py'),
                        'CA-MKD (logits)')
    cfg.model.mentor_fast_path = None  # its first-batch probe costs seconds; not tested here
    model = MODELS.build(cfg.model).train()
    classroom = model.classroom
    assert (classroom.mentor_weights, classroom.kf.enabled, classroom.mentoring.enabled,
            classroom.mentoring.fixed_temperature, classroom.distill_weight) == (
                'ca_mkd', False, False, 4.0, 1.0)
    inputs, samples, _ = labelled_batch(n=2)
    losses = model(inputs, samples, mode='loss')
    assert all(losses[f'active/{name}'].item() == 1.0 for name in model.mentors)
    assert losses['loss_distill'].item() > 0
    losses['loss_distill'].backward()
    assert all(torch.isfinite(p.grad).all() for p in model.student.parameters()
               if p.grad is not None)


def test_the_method_trains_a_step_on_the_simcc_pose_classroom(monkeypatch, pose_scope):
    """Pose: each mentor weighs, per instance, by its keypoint confidence at the ground truth
    (the adapter's, as Knowledge Filtering reads it); the shipped LSP mentors, 64x64 crops.
    (The heatmap classroom passes the same check; its three LiteHRNets take several seconds.)"""
    from classroomkd_mm.core import classroom_loss
    from pose_utils import pose_samples
    monkeypatch.chdir(REPO)  # the shipped mentor files are named relative to the checkout
    calls = []

    def recorded(confidence, taking_part=None):
        calls.append((confidence, ca_mkd_weights(confidence, taking_part)))
        return calls[-1][1]
    monkeypatch.setattr(classroom_loss, 'ca_mkd_weights', recorded)
    config = osp.join(REPO, 'configs', 'lsp', 'rtmpose-t_classroom.py')
    model = MODELS.build(method_config(config, 'CA-MKD (logits)').model).train()
    samples = pose_samples(model.student, [[1.0] * 14, [1.0] * 7 + [0.0] * 7])
    losses = model(torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0)),
                   samples, mode='loss')
    [(confidence, weights)] = calls
    assert confidence.shape == weights.shape == (2, 2)  # 2 mentors, 2 instances
    assert ((confidence > 0) & (confidence <= 1)).all()
    assert torch.allclose(weights.sum(0), torch.ones(2))
    # K = 2: w_k = p_k / (p_1 + p_2)
    assert torch.allclose(weights, confidence / confidence.sum(0), atol=1e-6)
    assert all(losses[f'active/{name}'].item() == 1.0 for name in model.mentors)
    assert torch.isfinite(losses['loss_distill']) and losses['loss_distill'].item() > 0
