"""Statistics over seeds and the classroom's telemetry averaged over a run."""
import statistics
from typing import Dict, Mapping, Optional, Sequence, Tuple

# The classroom's per-step telemetry (logged by the distiller), and the names under which a
# run's mean of the per-step active flags is reported: each mentor's activation rate, over
# the run and per epoch.
TELEMETRY_PREFIXES = ('rank/', 'temp/', 'active/')
ACTIVE, RATE, EPOCH_RATE = 'active/', 'active_rate/', 'active_rate_by_epoch/'
# A mentor has stopped teaching from the epoch on which it teaches in fewer than half the steps
# of every epoch to the end.
STOPPED_BELOW = 0.5


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """The mean and the sample standard deviation (0 for a single value)."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def mean_pm_std(values: Sequence[float], digits: int = 2) -> str:
    """``'57.10 ± 0.84'``."""
    mean, std = mean_std(values)
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def paired(values: Mapping[int, float], baseline: Mapping[int, float]) -> str:
    """Per-seed differences against ``baseline`` on the seeds both have, in seed order (as
    the tables list each seed's value), their mean, and on how many of those seeds
    ``values`` is better; '-' when they share no seed."""
    seeds = sorted(s for s in values if s in baseline)
    if not seeds:
        return '-'
    diffs = [values[s] - baseline[s] for s in seeds]
    wins = sum(d > 0 for d in diffs)
    return (', '.join(f'{d:+.2f}' for d in diffs) +
            f' (mean {statistics.mean(diffs):+.2f}; {wins}/{len(diffs)} better)')


def step_means(message_hub, steps_per_epoch: Optional[int] = None) -> Dict:
    """Every training step's classroom telemetry in ``message_hub``, averaged over the run:
    ``rank/<name>``, ``temp/<name>`` and ``active_rate/<mentor>`` (the share of steps, or in
    per-sample mode of instances, in which the mentor taught); with ``steps_per_epoch``, also
    ``active_rate_by_epoch/<mentor>``, that share in each epoch (a list)."""
    means = {}
    for key, buffer in message_hub.log_scalars.items():
        name = key[len('train/'):]
        if key.startswith('train/') and name.startswith(TELEMETRY_PREFIXES):
            values = buffer.data[0]
            means[name.replace(ACTIVE, RATE, 1)] = float(values.mean())
            if steps_per_epoch and name.startswith(ACTIVE):
                means[name.replace(ACTIVE, EPOCH_RATE, 1)] = [
                    float(values[start:start + steps_per_epoch].mean())
                    for start in range(0, len(values), steps_per_epoch)]
    return means


def stop_epoch(rates: Sequence[float], below: float = STOPPED_BELOW) -> Optional[int]:
    """The epoch (from 1) from which a mentor's activation rate (``rates``, one per epoch) stays
    below ``below`` to the end; None when it is not below in the last epoch."""
    epoch = None
    for number in range(len(rates), 0, -1):
        if rates[number - 1] >= below:
            break
        epoch = number
    return epoch


def activation_rates(values: Mapping[str, float]) -> Dict[str, float]:
    """``{mentor: rate}`` from the ``active_rate/<mentor>`` entries of ``values`` (a run's
    result, or the last record of its ``scalars.json``)."""
    return {key[len(RATE):]: value for key, value in values.items() if key.startswith(RATE)}
