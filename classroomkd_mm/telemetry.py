"""The names of the classroom's log-only values (telemetry), defined here and nowhere else.

The classroom loss returns them beside its losses; their names hold no ``loss``, so
MMEngine logs them without adding them to the total. Each is a mean over the step's
valid samples. ``ClassroomLogProcessor`` adds ``active_rate/<mentor>``: the share of
steps so far in which the mentor taught.
"""
from typing import Optional

RANK = 'rank/'                # r of Eq. 5 (or Eq. 12): rank/student, rank/<mentor>
TEMPERATURE = 'temp/'         # tau of Eq. 9 per mentor
ACTIVE = 'active/'            # 1 where the mentor teaches (Eq. 6)
ACTIVE_RATE = 'active_rate/'  # the log processor's running mean of active/<mentor>
NONFINITE = 'nonfinite/'      # nonfinite/student (0 or 1), nonfinite/mentors (a count)
VALID = 'valid/'              # valid/fraction: the share of samples ranked

STUDENT = 'student'
NONFINITE_STUDENT = NONFINITE + STUDENT
NONFINITE_MENTORS = NONFINITE + 'mentors'
VALID_FRACTION = VALID + 'fraction'
STEP_PREFIXES = (RANK, TEMPERATURE, ACTIVE, NONFINITE, VALID)  # what one step returns


def rank_key(name: str) -> str:
    return RANK + name


def temperature_key(name: str) -> str:
    return TEMPERATURE + name


def active_key(name: str) -> str:
    return ACTIVE + name


def active_rate_key(name: str) -> str:
    return ACTIVE_RATE + name


def name_in(key: str, prefix: str) -> Optional[str]:
    """The model named by ``key`` under ``prefix`` (``'active/peer'`` → ``'peer'``), or None."""
    return key[len(prefix):] if key.startswith(prefix) else None
