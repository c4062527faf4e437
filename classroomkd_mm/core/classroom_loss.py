"""The ClassroomKD objective (METHOD.md, Eq. 10), from KF ranks and Mentoring temperatures.

Task adapters hand over their outputs as *groups* of logits shaped (N, R, D):
N samples (or pose instances), R rows per sample (1 for a classifier, one per
keypoint for heatmaps, one per keypoint and axis for SimCC), and D classes,
pixels or bins, over which the softmax runs. Each group has row weights (N, R),
for example keypoint visibility.
"""
from typing import Callable, List, NamedTuple, Optional, Sequence

import torch
from torch import Tensor, nn

from mmengine.registry import MODELS

from .distill_loss import temperature_kl
from .knowledge_filter import KnowledgeFilter, Ranking
from .mentoring import Mentoring, dtkd_temperatures
from .parity import departures


def per_sample_distillation(student_groups: Sequence[Tensor], mentor_groups: Sequence[Tensor],
                            row_weights: Sequence[Tensor], temperature: Tensor,
                            dtkd: bool = False) -> Tensor:
    """Eq. 7 for every mentor and sample: the row-weighted mean of ``temperature_kl``.

    ``mentor_groups[g]`` stacks the mentors, (λ, N, R, D); ``temperature`` is
    (λ, N). Returns (λ, N). With ``dtkd`` the temperatures are DTKD's,
    scaled from ``temperature`` per row.
    """
    temperature = temperature[..., None, None]
    weighted_sum, weight_total = 0.0, 0.0
    for student, mentors, weight in zip(student_groups, mentor_groups, row_weights):
        student = student.unsqueeze(0)
        if dtkd:
            t_mentor, t_student = dtkd_temperatures(mentors, student, temperature)
            kl = temperature_kl(student, mentors, t_mentor, t_student)
        else:
            kl = temperature_kl(student, mentors, temperature)
        weighted_sum = weighted_sum + (kl * weight).sum(-1)
        weight_total = weight_total + weight.sum(-1)
    return weighted_sum / weight_total.clamp_min(1e-12)


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` over the last dim where ``mask`` holds (0 when none does)."""
    weight = mask.to(values.dtype)
    return (values * weight).sum(-1) / weight.sum(-1).clamp_min(1.0)


def sample_mean(values: Tensor, valid: Tensor) -> Tensor:
    """Mean over the samples (last dim) that take part, or over all when none does."""
    return masked_mean(values, valid | ~valid.any())


class Step(NamedTuple):
    """One step of the classroom: the two terms of Eq. 10 and what decided them."""
    task_weight: Tensor      # (N,) r^s_i (1 for AVER, w^s in parity mode; 1 off the ranking)
    loss_distill: Tensor     # α · mean_i Σ_{m∈A} r^m_i L_distill^m_i
    ranking: Ranking
    temperature: Tensor      # (λ, N)


@MODELS.register_module()
class ClassroomKDLoss(nn.Module):
    """KF → Mentoring → Eq. 10. Ranks and temperatures carry no gradient.

    Args:
        kf: :class:`KnowledgeFilter` options.
        mentoring: :class:`Mentoring` options.
        distill_weight: ``α`` of Eq. 10.
        rank_weights: weight the task loss by ``r^s`` and each mentor by
            ``r^m`` (Eq. 10). False gives AVER's equal weights ``1/λ`` and a
            task weight of 1 (with one mentor: Hinton's KD).
        official_code_parity: the authors' code's four departures (``parity.py``).
    """

    def __init__(self, kf: Optional[dict] = None, mentoring: Optional[dict] = None,
                 distill_weight: float = 1.0, rank_weights: bool = True,
                 official_code_parity: bool = False):
        super().__init__()
        if not distill_weight >= 0:
            raise ValueError(f'distill_weight must be >= 0, got {distill_weight!r}')
        self.kf = KnowledgeFilter(**(kf or {}), official_code_parity=official_code_parity)
        self.mentoring = Mentoring(**(mentoring or {}),
                                   official_code_parity=official_code_parity)
        self.distill_weight = float(distill_weight)
        self.rank_weights = rank_weights
        self.departures = departures(official_code_parity)

    def forward(self, confidence: Tensor, valid: Tensor, available: Tensor,
                student_groups: List[Tensor], mentor_groups: List[Tensor],
                row_weights: List[Tensor],
                sum_reduce: Optional[Callable[[Tensor], Tensor]] = None) -> Step:
        """Score one step.

        Args:
            confidence: (C, N) probability each model gives the ground truth;
                row 0 is the student.
            valid: (N,) samples that take part (pose: a visible keypoint).
            available: (C,) models whose outputs are finite this step.
            student_groups / mentor_groups / row_weights: see the module doc.
            sum_reduce: all-reduce for the batch statistics under DDP.
        """
        # Ranking and loss math run in float32, also under autocast (AMP).
        with torch.autocast(confidence.device.type, enabled=False):
            return self._score(confidence.float(), valid, available,
                               [g.float() for g in student_groups],
                               [g.float() for g in mentor_groups],
                               [w.float() for w in row_weights], sum_reduce)

    def _score(self, confidence, valid, available, student_groups, mentor_groups, row_weights,
               sum_reduce) -> Step:
        with torch.no_grad():
            ranking = self.kf(confidence.detach(), valid, available, sum_reduce)
            temperature = self.mentoring(ranking.ranks)
        distill = per_sample_distillation(student_groups, mentor_groups, row_weights,
                                          temperature, self.mentoring.uses_dtkd)
        mentors_taking_part = ranking.taking_part[1:]
        if self.rank_weights:
            mentor_weight = ranking.ranks[1:]
        else:  # AVER: 1/λ, λ counting the mentors that take part
            mentor_weight = 1 / mentors_taking_part.sum(0).clamp_min(1).to(distill.dtype)
        mentor_weight = mentor_weight * ranking.active
        loss_distill = self.distill_weight * masked_mean((mentor_weight * distill).sum(0), valid)
        return Step(self._task_weight(ranking), loss_distill, ranking, temperature)

    def _task_weight(self, ranking: Ranking) -> Tensor:
        """``r^s_i`` of Eq. 10, per sample (N,).

        Samples outside the ranking (no visible keypoint) and steps in which no
        mentor takes part train on the plain task loss, with weight 1.
        """
        student = ranking.weights[0] if self.departures.task_weight_is_confidence else \
            ranking.ranks[0]
        if not self.rank_weights:
            return torch.ones_like(student)
        ranked = ranking.taking_part[0] & ranking.taking_part[1:].any(0)
        return torch.where(ranked, student, torch.ones_like(student))
