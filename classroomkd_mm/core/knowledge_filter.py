"""Knowledge Filtering (KF) module: who may teach (docs/method.md, Eqs. 1-6, 11-12).

Tensors index models on dim 0: row 0 is the student, rows 1..λ the mentors.
Every per-step result has one layout, (C, N) for models and (λ, N) for
mentors over the N samples, also in batch mode, where the batch's values
are broadcast over the samples. Nothing here reads a tensor's value on the
host, so a step never syncs. Under a process group of several processes, batch
mode ranks on the global batch (one all-reduce per step).
"""
from typing import Callable, NamedTuple, Optional, Tuple

import torch
import torch.distributed as dist
from torch import Tensor, nn

from ..registry import MODELS
from .parity import departures

AGGREGATES = ('geometric', 'arithmetic')
RANKINGS = ('softmax', 'uniform')
GRANULARITIES = ('batch', 'sample')
EPS = 1e-12


def batch_confidence(confidence: Tensor, valid: Tensor, available: Tensor,
                     aggregate: str = 'geometric',
                     sum_reduce: Optional[Callable[[Tensor], Tensor]] = None
                     ) -> Tuple[Tensor, Tensor]:
    """Eq. 4: aggregate per-sample GT confidences ``p`` (C, N) into ``w`` (C,).

    ``geometric`` is ``exp(mean_i log p_i)`` (the authors' code, ``exp(-CE)``);
    ``arithmetic`` is ``mean_i p_i`` (the paper's wording). Only samples with
    ``valid`` (N,) count. ``sum_reduce`` sums partial statistics across
    processes (DDP) in one call: the per-model sums, the sample count and the
    per-model count of processes where the model is not ``available`` (C,).
    Returns ``w`` and the models available on every process, so that every
    process ranks the same models on the global batch.
    """
    num_models = confidence.shape[0]
    weight = valid.to(confidence.dtype)
    per_sample = confidence.clamp_min(EPS).log() if aggregate == 'geometric' else confidence
    stats = torch.cat([(per_sample * weight).sum(-1), weight.sum().reshape(1),
                       (~available).to(confidence.dtype)])
    if sum_reduce is not None:
        stats = sum_reduce(stats)
    mean = stats[:num_models] / stats[num_models].clamp_min(1.0)
    everywhere = stats[num_models + 1:] == 0
    return (mean.exp() if aggregate == 'geometric' else mean), everywhere


def all_reduce_sum(values: Tensor) -> Tensor:
    values = values.clone()
    dist.all_reduce(values)
    return values


def process_group_sum() -> Optional[Callable[[Tensor], Tensor]]:
    """The sum over processes when several train together (DDP), else None."""
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return all_reduce_sum
    return None


def confidence_share_rank(weights: Tensor, num_mentors: Tensor,
                          round_decimals: Optional[int] = None) -> Tensor:
    """Eq. 5: ``r^c = λ · w^c / Σ_c' w^c'`` over dim 0 (the models), a normalised share.

    ``num_mentors`` (λ) broadcasts against one row of ``weights``.
    ``round_decimals`` rounds the share before the ``λ`` scaling, as the
    authors' code does (official-code parity).
    """
    share = weights / weights.sum(0, keepdim=True).clamp_min(EPS)
    if round_decimals is not None:
        share = torch.round(share, decimals=round_decimals)
    return num_mentors * share


def uniform_rank(weights: Tensor, taking_part: Tensor, beta: float = 0.1) -> Tensor:
    """Eqs. 11-12 ("Method B"): ``r^c = β · (1 + position of w^c in ascending order)``.

    The position is the number of models taking part with a strictly smaller
    ``w``, so tied models share a rank. Models not taking part (``taking_part``
    False, same shape as ``weights``) rank 0 and occupy no position.
    """
    smaller = (weights.unsqueeze(0) < weights.unsqueeze(1)) & taking_part.unsqueeze(0)
    position = smaller.sum(1).to(weights.dtype)  # [c] counts c' with w[c'] < w[c]
    return torch.where(taking_part, beta * (1 + position), torch.zeros_like(weights))


def active_mentors(mentor_ranks: Tensor, student_rank: Tensor,
                   ties_teach: bool = False) -> Tensor:
    """Eq. 6: a mentor teaches when it ranks above the student (``≥`` with ``ties_teach``)."""
    return mentor_ranks >= student_rank if ties_teach else mentor_ranks > student_rank


class Ranking(NamedTuple):
    """What the KF module decided for one step; every field is per sample."""
    weights: Tensor      # w: (C, N); batch mode broadcasts the batch confidence
    ranks: Tensor        # r: (C, N)
    active: Tensor       # (λ, N) bool: which mentors teach
    taking_part: Tensor  # (C, N) bool: the model is available and the sample is ranked


@MODELS.register_module()
class KnowledgeFilter(nn.Module):
    """Ranks the classroom on its confidence at the ground truth (Eqs. 1-6).

    λ counts the mentors that take part in the step: a mentor whose output is
    not finite ranks 0, teaches nothing and occupies no Method B position.

    Args:
        enabled: when False every mentor is active ("KF off"); ranks are
            still computed, since Eq. 10 weights and Eq. 9 use them.
        ranking: ``'softmax'`` (Eq. 5) or ``'uniform'`` (Method B, Eqs. 11-12).
        granularity: ``'batch'`` ranks once per batch; ``'sample'`` ranks each
            sample (or pose instance) on its own ``p_i`` instead of ``w``.
        aggregate: ``'geometric'`` or ``'arithmetic'`` batch confidence (Eq. 4).
        beta: the Method B step.
        official_code_parity: the authors' code's shares and ties (see ``parity.py``).
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
        self.departures = departures(official_code_parity)

    def forward(self, confidence: Tensor, valid: Tensor, available: Tensor) -> Ranking:
        """Rank ``confidence`` (C, N); ``available`` (C,) drops non-finite mentors."""
        num_samples = confidence.shape[1]
        if self.granularity == 'batch':
            weights, available = batch_confidence(confidence, valid, available,
                                                  self.aggregate, process_group_sum())
            weights = weights[:, None].expand(-1, num_samples)
            ranked = valid.any().expand(num_samples)
        else:
            weights, ranked = confidence, valid
        taking_part = available[:, None] & ranked[None]
        weights = torch.where(taking_part, weights, torch.zeros_like(weights))
        if self.ranking == 'softmax':
            ranks = confidence_share_rank(weights, taking_part[1:].sum(0),
                                          self.departures.share_decimals)
        else:
            ranks = uniform_rank(weights, taking_part, self.beta)
        if self.enabled:
            active = active_mentors(ranks[1:], ranks[:1], self.departures.ties_teach)
        else:
            active = torch.ones_like(ranks[1:], dtype=torch.bool)
        return Ranking(weights, ranks, active & taking_part[1:], taking_part)
