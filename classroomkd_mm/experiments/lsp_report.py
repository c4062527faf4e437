"""The LSP benchmark's report: per classroom, the temperatures chosen on the validation split,
each method's PCK@0.2 over seeds, paired with the baselines seed by seed, the mentors alone,
the activation rates (docs/results.md between its markers); and its plot."""
import os.path as osp
import statistics
from typing import Dict, List, Mapping

from . import tau_selection
from .docs_page import replace_block
from .lsp import CLASSROOMS, GRIDS, METHODS, run_name
from .stats import mean_pm_std, mean_std, paired

BASELINES = ('nokd', 'aver', 'aver_matched')
REPORT_START = '<!-- lsp_methods report: start -->'
REPORT_END = '<!-- lsp_methods report: end -->'


def baselines(method: str) -> tuple:
    """What ``method`` is paired with: a noisy-classroom method with the noisy AVER."""
    if not METHODS[method].noisy:
        return BASELINES
    return tuple({'aver': 'noisy_aver', 'nokd': 'nokd'}.get(b, '') for b in BASELINES)


def by_seed(runs: List[Dict], seeds, metric: str) -> Dict[int, float]:
    return {seed: run[metric] for seed, run in zip(seeds, runs)}


def finished(results: Mapping[str, Dict], classroom: str, seeds) -> Dict[str, List[Dict]]:
    """The methods of ``classroom`` run with every seed: their results, seed by seed."""
    table = {}
    for method in METHODS:
        runs = [results.get(run_name(classroom, method, s)) for s in seeds]
        if all(runs):
            table[method] = runs
    return table


def sensitivity(results: Mapping[str, Dict], classroom: str) -> List[str]:
    """The classroom's validation runs: the sensitivity table and what it chose."""
    found = tau_selection.scores(results, classroom, 'PCK')
    if not found:
        return []
    shared = tau_selection.sharing(GRIDS, [m.method for m in METHODS.values()])
    return ['**Temperatures chosen on the validation split** (the last 1,000 of the 9,000 '
            'training images, which no student trains on; the shipped mentors trained on all '
            '9,000). PCK@0.2 (%) on it per value, mean over the seeds listed; in bold the '
            "chosen value, the best mean (a tie keeps the configs' value, else the smallest). "
            'The runs below, in the clean and noisy classrooms, train with the chosen values'
            f"{f' ({shared})' if shared else ''}.", '',
            *tau_selection.sensitivity_table(found, GRIDS), '']


def temperatures_used(table: Dict[str, List[Dict]]) -> List[str]:
    """The temperatures the runs of ``table`` were trained with, in one line (none: no line)."""
    used = {METHODS[m].title: tau_selection.describe(runs[0].get('temperatures', {}))
            for m, runs in table.items()}
    used = {title: text for title, text in used.items() if text}
    return [f"Trained with the temperatures chosen on validation: "
            f"{'; '.join(f'{m} {text}' for m, text in used.items())}.", ''] if used else []


def versus_classroomkd(table: Dict[str, List[Dict]], seeds) -> List[str]:
    """ClassroomKD paired seed by seed against every other method of its classroom (the
    noisy ClassroomKD against the noisy methods)."""
    lines = []
    for noisy in (False, True):
        ours = 'noisy_classroomkd' if noisy else 'classroomkd'
        others = [m for m in table if METHODS[m].noisy == noisy and m != ours
                  and not METHODS[m].options]
        if ours in table and others:
            pck = by_seed(table[ours], seeds, 'PCK')
            lines += [f'| {METHODS[ours].title} minus | per seed (paired) |', '|---|---|',
                      *(f"| {METHODS[m].title} | {paired(pck, by_seed(table[m], seeds, 'PCK'))} |"
                        for m in others), '']
    return lines


def scale(table: Dict[str, List[Dict]]) -> str:
    """How many training images the students of ``table`` saw, as the report says it."""
    images = sorted({run.get('images') for runs in table.values() for run in runs},
                    key=str)
    return ' or '.join(f'{n:,}' if n else 'an unrecorded number of' for n in images)


def report(results: Mapping[str, Dict], seeds, mentor_pck: Dict[str, float]) -> str:
    """Markdown tables (for docs/results.md) of the runs of every seed in ``seeds``;
    ``mentor_pck``: each shipped mentor's PCK alone."""
    lines = []
    for classroom, spec in CLASSROOMS.items():
        table = finished(results, classroom, seeds)
        if not table:
            continue
        lines += [f"#### {spec['title']}", '',
                  f'Students on the first {scale(table)} training images, 10 epochs; PCK@0.2 '
                  'and EPE on the 1,000 test images.', '', *sensitivity(results, classroom),
                  *temperatures_used(table),
                  '| method | PCK@0.2 mean ± std (%) | per seed | '
                  + ' | '.join(f'vs {METHODS[b].title} (paired)' for b in BASELINES)
                  + ' | EPE mean ± std (px) |', '|---|---|---|---|---|---|---|']
        for method, runs in table.items():
            pck = by_seed(runs, seeds, 'PCK')
            versus = [paired(pck, by_seed(table[b], seeds, 'PCK'))
                      if b in table and b != method else '-' for b in baselines(method)]
            lines.append(f"| {METHODS[method].title} | {mean_pm_std(list(pck.values()))} | "
                         f"{', '.join(f'{p:.2f}' for p in pck.values())} | "
                         f"{' | '.join(versus)} | {mean_pm_std([r['EPE'] for r in runs])} |")
        lines += ['', *versus_classroomkd(table, seeds)]
        names = spec['mentors'] + (spec['weak'], )
        alone = ', '.join(f'{m} {mentor_pck[m]:.2f}' for m in names if m in mentor_pck)
        lines += [f'Mentors alone (PCK@0.2 %, test split): {alone}.', '']
        rates = [(method, runs) for method, runs in table.items() if 'active' in runs[0]]
        if rates:
            lines += ['Activation rates (share of training steps a mentor taught; mean over '
                      'seeds):', '', '| method | ' + ' | '.join(names) + ' |',
                      '|---|' + '---|' * len(names)]
            for method, runs in rates:
                cells = [f"{statistics.mean(r['active'][m] for r in runs):.2f}"
                         if m in runs[0]['active'] else '-' for m in names]
                lines.append(f'| {METHODS[method].title} | ' + ' | '.join(cells) + ' |')
            lines.append('')
    return '\n'.join(lines)


def write_report(results: Mapping[str, Dict], seeds, mentor_pck: Dict[str, float],
                 docs: str) -> str:
    """:func:`report` between the report markers of ``docs/results.md``, with the plot
    (``docs/lsp_methods.png``) after it."""
    text = report(results, seeds, mentor_pck)
    plot(results, seeds, osp.join(docs, 'lsp_methods.png'))
    text += '\n![PCK@0.2 per method, both classrooms](lsp_methods.png)\n'
    replace_block(osp.join(docs, 'results.md'), REPORT_START, REPORT_END, text)
    return text


def plot(results: Mapping[str, Dict], seeds, path: str) -> None:
    """Each classroom's PCK@0.2 per method (mean ± std over ``seeds``) as bars, in ``path``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(1, len(CLASSROOMS), figsize=(12, 4.5), squeeze=False)
    images = set()
    for axis, (classroom, spec) in zip(axes[0], CLASSROOMS.items()):
        table = finished(results, classroom, seeds)
        if not table:
            continue
        images.add(scale(table))
        titles = [METHODS[m].title for m in table]
        means, stds = zip(*(mean_std([r['PCK'] for r in runs]) for runs in table.values()))
        baseline = [METHODS[m].method.startswith(('NOKD', 'AVER', 'CA-MKD')) for m in table]
        axis.barh(titles[::-1], means[::-1], xerr=stds[::-1], capsize=3,
                  color=['#888' if b else '#2a7' for b in baseline[::-1]])
        axis.set(xlabel='PCK@0.2 (%), mean ± std over seeds', title=spec['title'],
                 xlim=(min(means) - 5, max(means) + 3))
    figure.suptitle(f"LSP Extended, {' / '.join(sorted(images))} training images, 10 epochs, "
                    '64x64 (2-core CPU container)')
    figure.tight_layout()
    figure.savefig(path, dpi=110)
