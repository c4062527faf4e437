"""The Mentoring module (docs/method.md, Eqs. 8-9, DTKD) pinned to hand-computed numbers."""
import math

import pytest
import torch

from classroomkd_mm.core import (Mentoring, adaptive_temperature, dtkd_temperatures, rank_gap,
                                 temperature_kl)
from log_capture import logged_messages


def test_rank_gap_and_adaptive_temperature():  # Eqs. 8-9
    gap = rank_gap(torch.tensor([1.2, 0.3, 0.9]), torch.tensor([0.6]))
    assert gap.tolist() == pytest.approx([0.5, 0.5, 1 / 3])
    assert adaptive_temperature(gap, 12.0).tolist() == pytest.approx([7.0, 7.0, 5.0])


def test_dtkd_temperatures_and_loss():
    mentor, student = torch.tensor([[4.0, 0.0]]), torch.tensor([[2.0, 1.0]])
    t_mentor, t_student = dtkd_temperatures(mentor, student, 3.0)
    assert (t_mentor.item(), t_student.item()) == pytest.approx((4.0, 2.0))  # 2·3·4/6, 2·3·2/6
    p = [math.e / (math.e + 1), 1 / (math.e + 1)]                 # softmax([1, 0])
    q = [math.exp(0.5) / (math.exp(0.5) + 1), 1 / (math.exp(0.5) + 1)]  # softmax([1, 0.5])
    expected = 8 * sum(a * math.log(a / b) for a, b in zip(p, q))
    assert temperature_kl(student, mentor, t_mentor, t_student).item() == pytest.approx(
        expected, rel=1e-5)


def test_mentoring_off_uses_one_fixed_temperature():
    ranks = torch.tensor([0.6, 1.2, 0.3])
    assert Mentoring(enabled=False, fixed_temperature=4.0)(ranks).tolist() == [4.0, 4.0]
    assert Mentoring(enabled=False, official_code_parity=True)(ranks).tolist() == [1.0, 1.0]


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


@pytest.mark.parametrize('kwargs, message', [
    (dict(mode='cosine'), 'mentoring.mode'),
    (dict(base_temperature=0), 'base_temperature'),
    (dict(fixed_temperature=-1.0), 'fixed_temperature'),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Mentoring(**kwargs)
