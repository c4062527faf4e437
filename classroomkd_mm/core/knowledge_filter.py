"""Knowledge Filtering (KF) module: who may teach (METHOD.md, Eqs. 1-6, 11-12).

Tensors index models on dim 0: row 0 is the student, rows 1..λ the mentors.
Nothing here reads a tensor's value on the host, so a step never syncs.
"""
from typing import Callable, NamedTuple, Optional

import torch
from torch import Tensor, nn

from mmengine.registry import MODELS

AGGREGATES = ('geometric', 'arithmetic')
RANKINGS = ('softmax', 'uniform')
GRANULARITIES = ('batch', 'sample')
EPS = 1e-12


def batch_confidence(confidence: Tensor, valid: Tensor, aggregate: str = 'geometric',
                     sum_reduce: Optional[Callable[[Tensor], Tensor]] = None) -> Tensor:
    """Eq. 4: aggregate per-sample GT confidences ``p`` (C, N) into ``w`` (C,).

    ``geometric`` is ``exp(mean_i log p_i)`` (the authors' code, ``exp(-CE)``);
    ``arithmetic`` is ``mean_i p_i`` (the paper's wording). Only samples with
    ``valid`` (N,) count. ``sum_reduce`` sums partial statistics across
    processes (DDP), so that every process ranks on the global batch.
    """
    weight = valid.to(confidence.dtype)
    per_sample = confidence.clamp_min(EPS).log() if aggregate == 'geometric' else confidence
    stats = torch.cat([(per_sample * weight).sum(-1), weight.sum().reshape(1)])
    if sum_reduce is not None:
        stats = sum_reduce(stats)
    mean = stats[:-1] / stats[-1].clamp_min(1.0)
    return mean.exp() if aggregate == 'geometric' else mean


def softmax_rank(weights: Tensor, num_mentors: int,
                 round_decimals: Optional[int] = None) -> Tensor:
    """Eq. 5: ``r^c = λ · w^c / Σ_c' w^c'`` over dim 0 (the models).

    ``round_decimals`` rounds the share before the ``λ`` scaling, as the
    authors' code does (official-code parity).
    """
    share = weights / weights.sum(0, keepdim=True).clamp_min(EPS)
    if round_decimals is not None:
        share = torch.round(share, decimals=round_decimals)
    return num_mentors * share


def uniform_rank(weights: Tensor, beta: float = 0.1) -> Tensor:
    """Eqs. 11-12 ("Method B"): ``r^c = β · (1 + position of w^c in ascending order)``."""
    position = weights.argsort(dim=0, stable=True).argsort(dim=0, stable=True)
    return beta * (1 + position).to(weights.dtype)


def active_mentors(mentor_ranks: Tensor, student_rank: Tensor,
                   ties_teach: bool = False) -> Tensor:
    """Eq. 6: a mentor teaches when it ranks above the student (``≥`` with ``ties_teach``)."""
    return mentor_ranks >= student_rank if ties_teach else mentor_ranks > student_rank


class Ranking(NamedTuple):
    """What the KF module decided for one step."""
    weights: Tensor  # w: (C,) in batch mode, (C, N) in sample mode
    ranks: Tensor    # r: same shape as ``weights``
    active: Tensor   # (λ,) or (λ, N) bool: which mentors teach


@MODELS.register_module()
class KnowledgeFilter(nn.Module):
    """Ranks the classroom on its confidence at the ground truth (Eqs. 1-6).

    Args:
        enabled: when False every mentor is active ("KF off"); ranks are
            still computed, since Eq. 10 weights and Eq. 9 use them.
        ranking: ``'softmax'`` (Eq. 5) or ``'uniform'`` (Method B, Eqs. 11-12).
        granularity: ``'batch'`` ranks once per batch; ``'sample'`` ranks each
            sample (or pose instance) on its own ``p_i`` instead of ``w``.
        aggregate: ``'geometric'`` or ``'arithmetic'`` batch confidence (Eq. 4).
        beta: the Method B step.
        official_code_parity: round shares to 2 decimals and let ties teach.
    """

    def __init__(self, enabled: bool = True, ranking: str = 'softmax',
                 granularity: str = 'batch', aggregate: str = 'geometric',
                 beta: float = 0.1, official_code_parity: bool = False):
        super().__init__()
        for key, value, allowed in (('ranking', ranking, RANKINGS),
                                    ('granularity', granularity, GRANULARITIES),
                                    ('aggregate', aggregate, AGGREGATES)):
            if value not in allowed:
                raise ValueError(f'kf.{key}={value!r} is unknown; choose one of {allowed}')
        self.enabled = enabled
        self.ranking = ranking
        self.granularity = granularity
        self.aggregate = aggregate
        self.beta = beta
        self.official_code_parity = official_code_parity

    def forward(self, confidence: Tensor, valid: Tensor, available: Tensor,
                sum_reduce: Optional[Callable[[Tensor], Tensor]] = None) -> Ranking:
        """Rank ``confidence`` (C, N); ``available`` (C,) drops non-finite mentors."""
        if self.granularity == 'batch':
            weights = batch_confidence(confidence, valid, self.aggregate, sum_reduce)
            usable = available
        else:
            weights = confidence
            usable = available[:, None]
        weights = torch.where(usable, weights, torch.zeros_like(weights))
        if self.ranking == 'softmax':
            ranks = softmax_rank(weights, confidence.shape[0] - 1,
                                 2 if self.official_code_parity else None)
        else:
            ranks = uniform_rank(weights, self.beta)
        if self.enabled:
            active = active_mentors(ranks[1:], ranks[:1], self.official_code_parity)
        else:
            active = torch.ones_like(ranks[1:], dtype=torch.bool)
        return Ranking(weights, ranks, active & usable[1:])
