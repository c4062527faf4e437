"""Temperature-scaled distillation loss (docs/method.md, Eq. 7, and DTKD)."""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor


def temperature_kl(student_logits: Tensor, mentor_logits: Tensor, mentor_temperature: Tensor,
                   student_temperature: Optional[Tensor] = None) -> Tensor:
    """Eq. 7 without the batch mean: ``τ² · KL(softmax(z^m/τ) ‖ softmax(z^s/τ))``.

    The softmax runs over the last dim; the result keeps every other dim, so
    callers average over samples, keypoints or axes as their task needs.
    Temperatures broadcast against the logits (trailing singleton dim). With
    ``student_temperature`` (DTKD) the scale is ``T_m · T_s`` instead of ``τ²``.
    """
    if student_temperature is None:
        student_temperature = mentor_temperature
    log_p_mentor = F.log_softmax(mentor_logits / mentor_temperature, dim=-1)
    log_p_student = F.log_softmax(student_logits / student_temperature, dim=-1)
    kl = (log_p_mentor.exp() * (log_p_mentor - log_p_student)).sum(-1)
    return kl * (mentor_temperature * student_temperature).squeeze(-1)
