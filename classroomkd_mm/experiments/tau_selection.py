"""Temperatures chosen on a validation split, never on the test split (issue 24).

A method of a grid (:data:`CLASSIFICATION_GRIDS`, :data:`POSE_GRIDS`) is trained once per
value of its temperature, with the selection seeds, and tested on the benchmark's validation
split; :func:`choose` picks the value of best mean validation score, and the method's test
runs train with it (:func:`chosen_options`). Ablations of a method take its chosen value
(:data:`SHARES`). The benchmarks (:mod:`.cifar10_methods`, :mod:`.lsp`) name the runs with
:func:`run_key` and record each one's validation score in their result store; their reports
print :func:`sensitivity_table`.
"""
import statistics
from typing import Dict, List, Mapping, NamedTuple, Sequence, Tuple

from .stats import mean_pm_std

TAU0 = 'mentoring.base_temperature'  # Eq. 9's τ0 (ClassroomKD)
TAU = 'mentoring.fixed_temperature'  # the one temperature with Mentoring off (AVER, KD)
SYMBOLS = {TAU0: 'τ0', TAU: 'τ'}


class Grid(NamedTuple):
    """The values tried for the temperature at ``key`` (under the config's ``model``);
    ``default`` is the configs' own value."""
    key: str
    values: Tuple[float, ...]
    default: float

    def options(self, value: float) -> Dict[str, float]:
        """The config options (dotted keys) that train with ``value``."""
        return {f'model.{self.key}': float(value)}


CLASSROOMKD = Grid(TAU0, (1, 2, 4, 8, 12), 12.0)
FIXED = Grid(TAU, (1, 2, 4, 8), 4.0)
# method (a name of methods.METHOD_NAMES) -> its grid
CLASSIFICATION_GRIDS = {'KD': FIXED, 'AVER': FIXED, 'AVER α=λ': FIXED,
                        'ClassroomKD': CLASSROOMKD}
POSE_GRIDS = {'ClassroomKD': CLASSROOMKD}
# method -> the method whose chosen value it trains with: ClassroomKD's variants its τ0,
# CA-MKD (logits) AVER's τ at the same α (it is AVER with other mentor weights)
SHARES = {'KF off': 'ClassroomKD', 'Method B': 'ClassroomKD', 'per-sample KF': 'ClassroomKD',
          'official-code parity': 'ClassroomKD', 'CA-MKD (logits)': 'AVER',
          'CA-MKD (logits) α=λ': 'AVER α=λ'}
VALIDATION = 'val'


def needed(grids: Mapping[str, Grid], methods: Sequence[str]) -> Dict[str, Grid]:
    """The grids that ``methods`` train with: their own, and those they share."""
    wanted = {SHARES.get(method, method) for method in methods}
    return {method: grid for method, grid in grids.items() if method in wanted}


def run_key(prefix: str, method: str, value: float, seed: int) -> str:
    """The name of the validation run of ``method`` at ``value``: ``<prefix>/val/<method>/
    <value>/seed<seed>`` (``prefix`` names the benchmark's scale and classroom)."""
    return f'{prefix}/{VALIDATION}/{method}/{value:g}/seed{seed}'


def scores(results: Mapping[str, dict], prefix: str,
           metric: str) -> Dict[str, Dict[float, Dict[int, float]]]:
    """``{method: {value: {seed: score}}}`` of the validation runs under ``prefix`` in
    ``results`` (``{run_key: result}``), ``score`` being ``result[metric]``."""
    found = {}
    start = f'{prefix}/{VALIDATION}/'
    for key, result in results.items():
        if key.startswith(start):
            method, value, seed = key[len(start):].split('/')
            found.setdefault(method, {}).setdefault(float(value), {})[
                int(seed[len('seed'):])] = result[metric]
    return found


def common_seeds(by_value: Mapping[float, Mapping[int, float]], grid: Grid) -> List[int]:
    """The seeds on which every value of ``grid`` was run."""
    seeds = [set(by_value.get(value, {})) for value in grid.values]
    return sorted(set.intersection(*seeds))


def mean_scores(by_value: Mapping[float, Mapping[int, float]], grid: Grid) -> Dict[float, float]:
    """Each value's mean score over :func:`common_seeds` (empty when there are none)."""
    seeds = common_seeds(by_value, grid)
    return {value: statistics.mean(by_value[value][s] for s in seeds)
            for value in grid.values} if seeds else {}


def choose(found: Mapping[str, Mapping[float, Mapping[int, float]]],
           grids: Mapping[str, Grid]) -> Dict[str, float]:
    """Each method's value of best mean validation score (higher is better), over the seeds
    every value of its grid was run with; methods whose grid is not complete are left out.

    Means are compared as the tables print them, to 2 decimals. A tie keeps the configs' own
    value (``grid.default``) when it is among the best, else the smallest of them."""
    chosen = {}
    for method, grid in grids.items():
        means = mean_scores(found.get(method, {}), grid)
        if not means:
            continue
        best = max(round(mean, 2) for mean in means.values())
        tied = [value for value in grid.values if round(means[value], 2) == best]
        chosen[method] = grid.default if grid.default in tied else min(tied)
    return chosen


def chosen_options(method: str, chosen: Mapping[str, float],
                   grids: Mapping[str, Grid]) -> Dict[str, float]:
    """The config options that train ``method`` with its chosen value, or the value it
    shares (:data:`SHARES`); none when there is no chosen value for it."""
    source = SHARES.get(method, method)
    return grids[source].options(chosen[source]) if source in chosen else {}


def sharing(grids: Mapping[str, Grid], methods: Sequence[str]) -> str:
    """Which of ``methods`` train with another's chosen value, in words; '' for none."""
    parts = []
    for source, grid in grids.items():
        takers = [method for method in methods if SHARES.get(method) == source]
        if takers:
            names = ', '.join(takers[:-1]) + ' and ' * (len(takers) > 1) + takers[-1]
            parts.append(f"{names} with {source}'s {SYMBOLS[grid.key]}")
    return '; '.join(parts)


def temperatures(options: Mapping) -> Dict[str, float]:
    """The temperature options among config ``options``: what a result records."""
    return {key: value for key, value in options.items()
            if key in (f'model.{TAU0}', f'model.{TAU}')}


def describe(recorded: Mapping[str, float]) -> str:
    """``'τ0 = 8'`` for recorded temperatures (:func:`temperatures`); '' for none."""
    return ', '.join(f"{SYMBOLS[key[len('model.'):]]} = {value:g}"
                     for key, value in recorded.items())


def sensitivity_table(found: Mapping[str, Mapping[float, Mapping[int, float]]],
                      grids: Mapping[str, Grid]) -> List[str]:
    """Markdown rows: per method of ``grids`` with validation runs, its mean score at each
    value (mean ± std over seeds when there are several), the chosen one in bold."""
    methods = [m for m in grids if found.get(m)]
    values = sorted({v for m in methods for v in grids[m].values})
    chosen = choose(found, grids)
    lines = ['| method | temperature | seeds | ' + ' | '.join(f'{v:g}' for v in values)
             + ' | chosen |', '|---|---|---|' + '---|' * (len(values) + 1)]
    for method in methods:
        grid, by_value = grids[method], found[method]
        seeds = common_seeds(by_value, grid)
        cells = []
        for value in values:
            runs = [by_value[value][s] for s in seeds] if value in grid.values else []
            text = (f'{runs[0]:.2f}' if len(runs) == 1 else mean_pm_std(runs)) if runs else '-'
            cells.append(f'**{text}**' if runs and chosen.get(method) == value else text)
        pick = f'{SYMBOLS[grid.key]} = {chosen[method]:g}' if method in chosen else '-'
        lines.append(f"| {method} | {SYMBOLS[grid.key]} (`{grid.key}`) | "
                     f"{', '.join(map(str, seeds)) or '-'} | " + ' | '.join(cells)
                     + f' | {pick} |')
    return lines
