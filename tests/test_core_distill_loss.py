"""Eq. 7: the temperature-scaled KL, pinned to hand-computed numbers."""
import math

import pytest
import torch

from classroomkd_mm.core import temperature_kl

LN3 = math.log(3.0)
# KL(softmax([ln 3, 0]) || softmax([0, 0])) = 0.75 ln 1.5 + 0.25 ln 0.5
KL_3_TO_1 = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)


def test_temperature_kl_scales_by_tau_squared():  # Eq. 7
    student = torch.zeros(1, 2)
    assert temperature_kl(student, torch.tensor([[LN3, 0.0]]),
                          torch.tensor([[1.0]])).item() == pytest.approx(KL_3_TO_1)
    assert temperature_kl(student, torch.tensor([[2 * LN3, 0.0]]),
                          torch.tensor([[2.0]])).item() == pytest.approx(4 * KL_3_TO_1)
