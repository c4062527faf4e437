"""Where the authors' code departs from the paper (docs/method.md, "Official-code parity mode").

The default follows the paper; ``official_code_parity=True`` selects the
authors' code. Both are one frozen :class:`Departures`, read by the KF
module, the Mentoring module and the loss, so the four differences are here
and nowhere else.
"""
import logging
from dataclasses import dataclass
from typing import Optional

from mmengine.logging import print_log


@dataclass(frozen=True)
class Departures:
    share_decimals: Optional[int]      # Eq. 5: shares rounded before the λ scaling
    ties_teach: bool                   # Eq. 6: r^m ≥ r^s instead of r^m > r^s
    task_weight_is_confidence: bool    # Eq. 10: the task loss weighted by w^s, not r^s
    mentoring_off_temperature: Optional[float]  # τ with Mentoring off (None: the user's)


PAPER = Departures(share_decimals=None, ties_teach=False, task_weight_is_confidence=False,
                   mentoring_off_temperature=None)
AUTHORS_CODE = Departures(share_decimals=2, ties_teach=True, task_weight_is_confidence=True,
                          mentoring_off_temperature=1.0)


def departures(official_code_parity: bool) -> Departures:
    return AUTHORS_CODE if official_code_parity else PAPER


def log_override(option: str, value, replacement) -> None:
    """Say that parity mode replaces a value the user set."""
    print_log(f'official_code_parity=True overrides {option}={value!r} with {replacement!r} '
              "(the authors' code)", logger='current', level=logging.WARNING)
