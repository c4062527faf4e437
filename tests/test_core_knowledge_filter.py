"""Knowledge Filtering (docs/method.md, Eqs. 1-6, 11-12) pinned to hand-computed numbers."""
import math

import pytest
import torch

from classroomkd_mm.core import (KnowledgeFilter, active_mentors, batch_confidence,
                                 confidence_share_rank, uniform_rank)

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


def test_knowledge_filter_sample_mode_shapes():
    kf = KnowledgeFilter(granularity='sample')
    ranking = kf(torch.rand(4, 3), torch.ones(3, dtype=torch.bool), torch.ones(4, dtype=torch.bool))
    assert ranking.ranks.shape == (4, 3) and ranking.active.shape == (3, 3)
    assert torch.allclose(ranking.ranks.sum(0), torch.full((3,), 3.0))


@pytest.mark.parametrize('kwargs, message', [
    (dict(ranking='median'), 'kf.ranking'),
    (dict(aggregate='harmonic'), 'kf.aggregate'),
    (dict(granularity='pixel'), 'kf.granularity'),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KnowledgeFilter(**kwargs)
