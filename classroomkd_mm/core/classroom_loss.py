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


def per_sample_distillation(student_groups: Sequence[Tensor], mentor_groups: Sequence[Tensor],
                            row_weights: Sequence[Tensor], temperature: Tensor,
                            dtkd: bool = False) -> Tensor:
    """Eq. 7 for every mentor and sample: the row-weighted mean of ``temperature_kl``.

    ``mentor_groups[g]`` stacks the mentors, (λ, N, R, D); ``temperature`` is
    (λ,) or (λ, N). Returns (λ, N). With ``dtkd`` the temperatures are DTKD's,
    scaled from ``temperature`` per row.
    """
    temperature = temperature.reshape(temperature.shape + (1,) * (4 - temperature.dim()))
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
    return weighted_sum / torch.as_tensor(weight_total).clamp_min(1e-12)


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` over the last dim where ``mask`` holds (0 when none does)."""
    weight = mask.to(values.dtype)
    return (values * weight).sum(-1) / weight.sum(-1).clamp_min(1.0)


class Step(NamedTuple):
    """One step of the classroom: the two terms of Eq. 10 and what decided them."""
    task_weight: Tensor      # r^s (or 1 for AVER, or w^s in parity mode)
    loss_distill: Tensor     # α Σ_{m∈A} r^m L_distill^m
    ranking: Ranking
    temperature: Tensor      # per mentor: (λ,) or (λ, N)


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
        official_code_parity: the authors' code's four departures (METHOD.md).
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
        self.official_code_parity = official_code_parity

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
        num_mentors = distill.shape[0]
        mentor_weight = ranking.ranks[1:] if self.rank_weights else torch.full_like(
            ranking.ranks[1:], 1.0 / num_mentors)
        mentor_weight = mentor_weight * ranking.active
        if mentor_weight.dim() == 1:
            mentor_weight = mentor_weight[:, None]
        loss_distill = self.distill_weight * masked_mean((mentor_weight * distill).sum(0), valid)
        return Step(self._task_weight(ranking, valid), loss_distill, ranking, temperature)

    def _task_weight(self, ranking: Ranking, valid: Tensor) -> Tensor:
        """``r^s`` of Eq. 10 (per-sample mode: its mean over valid samples).

        The head's task loss is already a batch mean, so sample mode weights it
        by the mean student rank. A batch with no valid sample trains on the
        plain task loss.
        """
        if not self.rank_weights:
            return ranking.ranks.new_ones(())
        student = ranking.weights[0] if self.official_code_parity else ranking.ranks[0]
        if student.dim() == 1:
            student = masked_mean(student, valid)
        return torch.where(valid.any(), student, torch.ones_like(student))
