"""Mentoring module: how each active mentor teaches (docs/method.md, Eqs. 8-9, DTKD)."""
from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from ..registry import MODELS
from .parity import departures, log_override

MODES = ('adaptive', 'dtkd')
DEFAULT_FIXED_TEMPERATURE = 4.0
EPS = 1e-12


def rank_gap(mentor_ranks: Tensor, student_rank: Tensor) -> Tensor:
    """Eq. 8: ``Δr^m = |r^m − r^s| / max(r^m, r^s)``."""
    return (mentor_ranks - student_rank).abs() / torch.maximum(
        mentor_ranks, student_rank).clamp_min(EPS)


def adaptive_temperature(gap: Tensor, base_temperature: float) -> Tensor:
    """Eq. 9: ``τ^m = 1 + τ0 · Δr^m``: a wider gap gives a softer target."""
    return 1 + base_temperature * gap


def dtkd_temperatures(mentor_logits: Tensor, student_logits: Tensor,
                      base_temperature: float) -> Tuple[Tensor, Tensor]:
    """DTKD (Wei & Bai, 2024) per-row temperatures, from the rows' max logits.

    ``T_m = 2τ·max(z^m) / (max(z^m) + max(z^s))`` and likewise ``T_s``; both
    keep a trailing singleton dim so they divide the logits directly. DTKD
    assumes positive max logits, so maxima are clamped to at least 1e-3.
    The temperatures are constants of the step (docs/method.md): computed from
    detached logits, no gradient flows through them.
    """
    mentor_max = mentor_logits.detach().amax(-1, keepdim=True).clamp_min(1e-3)
    student_max = student_logits.detach().amax(-1, keepdim=True).clamp_min(1e-3)
    scale = 2 * base_temperature / (mentor_max + student_max)
    return scale * mentor_max, scale * student_max


@MODELS.register_module()
class Mentoring(nn.Module):
    """Gives each mentor its temperature.

    Args:
        enabled: when False every mentor teaches at ``fixed_temperature``
            ("Mentoring off").
        mode: ``'adaptive'`` (Eq. 9) or ``'dtkd'`` (per-sample DTKD, whose
            temperatures come from the logits, in the distillation loss).
        base_temperature: ``τ0`` of Eq. 9, and ``τ`` of DTKD.
        fixed_temperature: the temperature when mentoring is off (4 when
            unset). Official-code parity uses 1 and logs when it replaces a
            value the user set.
        official_code_parity: see ``parity.py``.
    """

    def __init__(self, enabled: bool = True, mode: str = 'adaptive',
                 base_temperature: float = 12.0, fixed_temperature: Optional[float] = None,
                 official_code_parity: bool = False):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f'mentoring.mode={mode!r} is unknown; choose one of {MODES}')
        for key, value in (('base_temperature', base_temperature),
                           ('fixed_temperature', fixed_temperature)):
            if value is not None and not value > 0:
                raise ValueError(f'mentoring.{key} must be > 0, got {value!r}')
        self.enabled = enabled
        self.mode = mode
        self.base_temperature = float(base_temperature)
        parity_temperature = departures(official_code_parity).mentoring_off_temperature
        if parity_temperature is None:
            self.fixed_temperature = float(fixed_temperature or DEFAULT_FIXED_TEMPERATURE)
        else:
            if fixed_temperature is not None and fixed_temperature != parity_temperature:
                log_override('mentoring.fixed_temperature', fixed_temperature,
                             parity_temperature)
            self.fixed_temperature = parity_temperature

    @property
    def uses_dtkd(self) -> bool:
        return self.enabled and self.mode == 'dtkd'

    def forward(self, ranks: Tensor) -> Tensor:
        """Temperatures of the mentors, (λ, N) from ranks (C, N).

        Under DTKD these are the base ``τ`` the per-sample temperatures scale.
        """
        mentor_ranks, student_rank = ranks[1:], ranks[:1]
        if not self.enabled:
            return torch.full_like(mentor_ranks, self.fixed_temperature)
        if self.mode == 'dtkd':
            return torch.full_like(mentor_ranks, self.base_temperature)
        return adaptive_temperature(rank_gap(mentor_ranks, student_rank),
                                    self.base_temperature)
