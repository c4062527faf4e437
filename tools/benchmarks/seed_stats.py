"""Statistics over seeds, shared by the accuracy benchmarks (CIFAR-10 and LSP)."""
import statistics
from typing import Dict, Sequence, Tuple


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """The mean and the sample standard deviation (0 for a single value)."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def paired(values: Dict[int, float], baseline: Dict[int, float]) -> str:
    """Per-seed differences against ``baseline`` on the seeds both have, their mean, and on
    how many of those seeds ``values`` is better; '-' when they share no seed."""
    seeds = [s for s in values if s in baseline]
    if not seeds:
        return '-'
    diffs = [values[s] - baseline[s] for s in seeds]
    wins = sum(d > 0 for d in diffs)
    return (', '.join(f'{d:+.2f}' for d in diffs) +
            f' (mean {statistics.mean(diffs):+.2f}; {wins}/{len(diffs)} better)')
