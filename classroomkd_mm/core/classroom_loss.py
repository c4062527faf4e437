"""The ClassroomKD objective (docs/method.md, Eq. 10), from KF ranks and Mentoring temperatures.

Task adapters hand over their outputs as *groups* of logits shaped (N, R, D):
N samples (or pose instances), R rows per sample (1 for a classifier, one per
keypoint for heatmaps, one per keypoint and axis for SimCC), and D classes,
pixels or bins, over which the softmax runs. Each group has row weights (N, R),
for example keypoint visibility. The student's own losses come as a
:class:`TaskLoss`, which also knows how to split the task loss per sample.
"""
import logging
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from .. import telemetry
from ..registry import MODELS
from .ca_mkd import ca_mkd_weights
from .distill_loss import temperature_kl
from .knowledge_filter import KnowledgeFilter, Ranking
from .mentoring import Mentoring, dtkd_temperatures
from .parity import departures

EPS = 1e-12
MENTOR_WEIGHTS = ('rank', 'equal', 'ca_mkd')


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
    for student, mentors, weight in zip(student_groups, mentor_groups, row_weights, strict=True):
        student = student.unsqueeze(0)
        if dtkd:
            t_mentor, t_student = dtkd_temperatures(mentors, student, temperature)
            kl = temperature_kl(student, mentors, t_mentor, t_student)
        else:
            kl = temperature_kl(student, mentors, temperature)
        weighted_sum = weighted_sum + (kl * weight).sum(-1)
        weight_total = weight_total + weight.sum(-1)
    return weighted_sum / weight_total.clamp_min(EPS)


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` over the last dim where ``mask`` holds (0 when none does)."""
    weight = mask.to(values.dtype)
    return (values * weight).sum(-1) / weight.sum(-1).clamp_min(1.0)


def sample_mean(values: Tensor, valid: Tensor) -> Tensor:
    """Mean over the samples (last dim) that take part, or over all when none does."""
    return masked_mean(values, valid | ~valid.any())


def all_finite(groups: Sequence[Tensor]) -> Tensor:
    """A 0-dim bool tensor: every value of every group is finite (no host read)."""
    return torch.stack([torch.isfinite(group).all() for group in groups]).all()


def scaled(losses: Dict[str, Tensor], weight: Tensor) -> Dict[str, Tensor]:
    """Every ``loss`` key times ``weight``; other keys (accuracies) as they are."""
    return {key: value * weight if 'loss' in key else value for key, value in losses.items()}


def resolve_mentor_weights(mentor_weights: Optional[str],
                           rank_weights: Optional[bool]) -> str:
    """The ``mentor_weights`` choice, also from its earlier name ``rank_weights``."""
    legacy = None if rank_weights is None else ('rank' if rank_weights else 'equal')
    if mentor_weights is not None and legacy is not None and mentor_weights != legacy:
        raise ValueError(f'mentor_weights={mentor_weights!r} and rank_weights={rank_weights!r} '
                         "disagree; rank_weights is the earlier name (True: 'rank', False: "
                         "'equal'): drop it")
    choice = mentor_weights or legacy or 'rank'
    if choice not in MENTOR_WEIGHTS:
        raise ValueError(f'mentor_weights={choice!r} is unknown; choose one of {MENTOR_WEIGHTS}')
    return choice


class TaskLoss(NamedTuple):
    """The student's own losses, as its ``loss()`` returned them.

    ``per_sample(N)`` gives the key of the task loss and (N,) the loss of each sample
    alone, or raises where the task loss cannot be split; ``source`` names what
    computes it (the head), for messages.
    """
    losses: Dict[str, Tensor]
    per_sample: Callable[[int], Tuple[str, Tensor]]
    source: str


class Step(NamedTuple):
    """One step of the classroom: the two terms of Eq. 10 and what decided them."""
    task_weight: Tensor      # (N,) r^s_i (1 for AVER, w^s in parity mode; 1 off the ranking)
    loss_distill: Tensor     # α · mean_i Σ_{m∈A} r^m_i L_distill^m_i (r^m: mentor weights)
    ranking: Ranking
    temperature: Tensor      # (λ, N)


@MODELS.register_module()
class ClassroomKDLoss(nn.Module):
    """Eq. 10 as MMEngine losses: KF → Mentoring → the weighted task and distillation
    terms, with the classroom's telemetry. Ranks and temperatures carry no gradient.

    Args:
        kf: :class:`KnowledgeFilter` options.
        mentoring: :class:`Mentoring` options.
        distill_weight: ``α`` of Eq. 10.
        mentor_weights: how the mentors' distillation losses are weighted:
            ``'rank'`` (default): ``r^m`` per mentor and ``r^s`` on the task loss
            (Eq. 10); ``'equal'``: AVER's ``1/λ`` per mentor and a task weight of 1
            (with one mentor: Hinton's KD); ``'ca_mkd'``: CA-MKD's per-sample
            confidence weights (:func:`.ca_mkd_weights`, summing to 1 over the
            mentors taking part) and a task weight of 1.
        rank_weights: the earlier name of the choice: True is ``'rank'``, False
            ``'equal'``. Given with ``mentor_weights``, the two must agree.
        official_code_parity: the authors' code's four departures (``parity.py``).
    """

    def __init__(self, kf: Optional[dict] = None, mentoring: Optional[dict] = None,
                 distill_weight: float = 1.0, mentor_weights: Optional[str] = None,
                 official_code_parity: bool = False, rank_weights: Optional[bool] = None):
        super().__init__()
        if not distill_weight >= 0:
            raise ValueError(f'distill_weight must be >= 0, got {distill_weight!r}')
        self.mentor_weights = resolve_mentor_weights(mentor_weights, rank_weights)
        self.kf = KnowledgeFilter(**(kf or {}), official_code_parity=official_code_parity)
        self.mentoring = Mentoring(**(mentoring or {}),
                                   official_code_parity=official_code_parity)
        self.distill_weight = float(distill_weight)
        self.departures = departures(official_code_parity)
        self.per_sample_failure = None  # why the task loss cannot be split, once known

    def forward(self, confidence: Tensor, valid: Tensor, student_groups: List[Tensor],
                mentor_groups: Dict[str, List[Tensor]], row_weights: List[Tensor],
                task: TaskLoss) -> Dict[str, Tensor]:
        """The student's losses weighted by ``r^s``, ``loss_distill``, and the telemetry
        (:mod:`classroomkd_mm.telemetry`).

        Args:
            confidence: (C, N) probability each model gives the ground truth;
                row 0 is the student, then the mentors in ``mentor_groups``' order.
            valid: (N,) samples that take part (pose: a visible keypoint).
            student_groups / row_weights: see the module doc.
            mentor_groups: each mentor's groups, by name.
            task: the student's own losses.

        NaN policy: a mentor with a non-finite value in its groups is unavailable for
        the step: it ranks 0, teaches nothing, and its logits are zeroed so that
        nothing non-finite reaches the student's gradients. Non-finite confidences
        are made finite (``nan_to_num``). ``nonfinite/*`` reports both.
        """
        finite = torch.stack([all_finite(groups)
                              for groups in [student_groups, *mentor_groups.values()]])
        stacked = [torch.stack([torch.where(ok, group, torch.zeros_like(group))
                                for ok, group in zip(finite[1:], groups, strict=True)])
                   for groups in zip(*mentor_groups.values(), strict=True)]
        step = self.step(torch.nan_to_num(confidence), valid,
                         torch.cat([finite.new_ones(1), finite[1:]]), student_groups, stacked,
                         row_weights)
        losses = self.weigh_task_losses(task, step.task_weight, valid)
        losses['loss_distill'] = step.loss_distill
        losses.update(self.telemetry(step, finite, valid, list(mentor_groups)))
        return losses

    def step(self, confidence: Tensor, valid: Tensor, available: Tensor,
             student_groups: List[Tensor], mentor_groups: List[Tensor],
             row_weights: List[Tensor]) -> Step:
        """Rank, set temperatures and score the distillation term, in float32 (also under
        autocast). ``available`` (C,): models whose outputs are finite this step;
        ``mentor_groups[g]`` stacks the mentors, (λ, N, R, D)."""
        with torch.autocast(confidence.device.type, enabled=False):
            confidence = confidence.float()
            student_groups, mentor_groups, row_weights = (
                [tensor.float() for tensor in tensors]
                for tensors in (student_groups, mentor_groups, row_weights))
            with torch.no_grad():
                ranking = self.kf(confidence.detach(), valid, available)
                temperature = self.mentoring(ranking.ranks)
                mentor_weight = self._mentor_weight(ranking, confidence[1:]) * ranking.active
            distill = per_sample_distillation(student_groups, mentor_groups, row_weights,
                                              temperature, self.mentoring.uses_dtkd)
            loss_distill = self.distill_weight * masked_mean((mentor_weight * distill).sum(0),
                                                             valid)
            return Step(self._task_weight(ranking), loss_distill, ranking, temperature)

    def _mentor_weight(self, ranking: Ranking, mentor_confidence: Tensor) -> Tensor:
        """(λ, N) weight of each mentor's distillation loss, before the KF filter."""
        taking_part = ranking.taking_part[1:]
        if self.mentor_weights == 'rank':
            return ranking.ranks[1:]
        if self.mentor_weights == 'ca_mkd':
            return ca_mkd_weights(mentor_confidence, taking_part)
        # AVER: 1/λ, λ counting the mentors that take part
        return 1 / taking_part.sum(0).clamp_min(1).to(mentor_confidence.dtype)

    def _task_weight(self, ranking: Ranking) -> Tensor:
        """``r^s_i`` of Eq. 10, per sample (N,).

        Samples outside the ranking (no visible keypoint) and steps in which no
        mentor takes part train on the plain task loss, with weight 1.
        """
        student = ranking.weights[0] if self.departures.task_weight_is_confidence else \
            ranking.ranks[0]
        if self.mentor_weights != 'rank':
            return torch.ones_like(student)
        ranked = ranking.taking_part[0] & ranking.taking_part[1:].any(0)
        return torch.where(ranked, student, torch.ones_like(student))

    def weigh_task_losses(self, task: TaskLoss, weights: Tensor,
                          valid: Tensor) -> Dict[str, Tensor]:
        """Eq. 10's ``r^s · L_task``, ``weights`` (N,) being ``r^s_i``.

        Batch mode: every ``loss`` key times the batch's ``r^s`` (one value,
        broadcast over the samples). Sample mode: the task loss with each sample
        weighted by its own ``r^s_i``; the key holding it becomes
        ``(L / Σ_i L_i) · Σ_i r^s_i L_i``, ``L_i`` each sample's loss alone, so the
        head's scaling (mean or sum over samples) stays and the ratio is a
        constant. Other ``loss`` keys, or all of them when the task loss cannot be
        split (one warning says why), take the mean ``r^s`` over the valid samples.
        """
        if self.kf.granularity == 'batch':
            return scaled(task.losses, weights[0])
        weighted = scaled(task.losses, sample_mean(weights, valid))
        split = self._split(task, len(weights))
        if split is not None:
            key, per_sample = split
            ratio = (task.losses[key] / per_sample.sum().clamp_min(EPS)).detach()
            weighted[key] = ratio * (weights.to(per_sample.dtype) * per_sample).sum()
        return weighted

    def _split(self, task: TaskLoss, num_samples: int):
        if self.per_sample_failure is not None:
            return None
        try:
            return task.per_sample(num_samples)
        except Exception as error:  # said once, below; the step still trains
            self.per_sample_failure = f'{type(error).__name__}: {error}'
            print_log(f"granularity='sample': the task loss of {task.source} cannot be split "
                      f'per sample ({self.per_sample_failure}); it is weighted by the mean '
                      'student rank over the batch instead', logger='current',
                      level=logging.WARNING)
            return None

    @staticmethod
    def telemetry(step: Step, finite: Tensor, valid: Tensor,
                  names: List[str]) -> Dict[str, Tensor]:
        """Means over the valid samples, in float32 outside autocast."""
        with torch.autocast(valid.device.type, enabled=False):
            ranks, active, temperature = (sample_mean(values.float(), valid) for values in (
                step.ranking.ranks, step.ranking.active, step.temperature))
            logs = {telemetry.rank_key(telemetry.STUDENT): ranks[0],
                    telemetry.NONFINITE_STUDENT: (~finite[0]).float(),
                    telemetry.VALID_FRACTION: valid.float().mean()}
            for index, name in enumerate(names):
                logs[telemetry.rank_key(name)] = ranks[index + 1]
                logs[telemetry.active_key(name)] = active[index]
                logs[telemetry.temperature_key(name)] = temperature[index]
            logs[telemetry.NONFINITE_MENTORS] = (~finite[1:]).float().sum()
        return logs
