"""Task-agnostic ClassroomKD: pure tensor math and thin registered modules."""
from .ca_mkd import ca_mkd_weights
from .classroom_loss import (MENTOR_WEIGHTS, ClassroomKDLoss, Step, TaskLoss, masked_mean,
                             per_sample_distillation, sample_mean)
from .distill_loss import temperature_kl
from .knowledge_filter import (KnowledgeFilter, Ranking, active_mentors, batch_confidence,
                               confidence_share_rank, uniform_rank)
from .mentoring import Mentoring, adaptive_temperature, dtkd_temperatures, rank_gap
from .parity import AUTHORS_CODE, PAPER, Departures, departures

__all__ = [
    'AUTHORS_CODE', 'ClassroomKDLoss', 'Departures', 'KnowledgeFilter', 'MENTOR_WEIGHTS',
    'Mentoring', 'PAPER', 'Ranking', 'Step', 'TaskLoss', 'active_mentors',
    'adaptive_temperature', 'batch_confidence', 'ca_mkd_weights', 'confidence_share_rank',
    'departures', 'dtkd_temperatures', 'masked_mean', 'per_sample_distillation', 'rank_gap',
    'sample_mean', 'temperature_kl', 'uniform_rank'
]
