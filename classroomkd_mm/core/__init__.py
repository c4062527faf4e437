"""Task-agnostic ClassroomKD: pure tensor math and thin registered modules."""
from .classroom_loss import ClassroomKDLoss, Step, masked_mean, per_sample_distillation
from .distill_loss import temperature_kl
from .knowledge_filter import (KnowledgeFilter, Ranking, active_mentors, batch_confidence,
                               softmax_rank, uniform_rank)
from .mentoring import Mentoring, adaptive_temperature, dtkd_temperatures, rank_gap

__all__ = [
    'ClassroomKDLoss', 'KnowledgeFilter', 'Mentoring', 'Ranking', 'Step', 'active_mentors',
    'adaptive_temperature', 'batch_confidence', 'dtkd_temperatures', 'masked_mean',
    'per_sample_distillation', 'rank_gap', 'softmax_rank', 'temperature_kl', 'uniform_rank'
]
