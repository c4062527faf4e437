"""The report of the CIFAR-10 benchmark (:mod:`.cifar10_methods`): docs/results.md between its
markers, and a bar chart per scale."""
import os.path as osp
import statistics
from typing import Callable, Dict, List

from . import tau_selection
from .cifar10_methods import (GRIDS, METHODS, SELECTION_CLASSROOM, WEAK_BAND, classroom_config,
                              runs_by_scale, selection_scores)
from .docs_page import replace_block
from .methods import method_config
from .stats import EPOCH_RATE, RATE, STOPPED_BELOW, mean_pm_std, mean_std, paired, stop_epoch

REPORT_START = '<!-- cifar10_methods report: start -->'
REPORT_END = '<!-- cifar10_methods report: end -->'


def accuracy_table(runs: Dict, nokd: Dict, clean: Dict = None) -> List[str]:
    """Markdown rows: method, mean ± std, per seed, paired against AVER and NOKD (and, for
    the noisy classroom, against the same method in the clean classroom).

    ``runs`` and ``clean`` map method -> {seed: top-1}; ``nokd`` is {seed: top-1}."""
    columns = ['method', 'top-1 mean ± std (%)', 'per seed', 'vs AVER (paired)',
               'vs NOKD (paired)'] + (['vs the clean classroom (paired)'] if clean else [])
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    for method, accs in runs.items():
        cells = [method, mean_pm_std(list(accs.values())),
                 ', '.join(f'{accs[s]:.2f}' for s in sorted(accs)),
                 paired(accs, runs.get('AVER', {})) if method != 'AVER' else '-',
                 paired(accs, nokd) if method != 'NOKD' else '-']
        if clean:
            cells.append(paired(accs, clean.get(method, {})))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def filters_mentors(method: str) -> bool:
    """Whether ``method`` runs the Knowledge Filter (its activation rates mean something)."""
    model = method_config(classroom_config(), method).model
    return model.get('kf', {}).get('enabled', False)


def per_mentor_table(mentors: Dict[str, float], methods: List[str], first: str,
                     heading: Callable[[str], str],
                     cell: Callable[[str, str], str]) -> List[str]:
    """Markdown rows: a mentor per row (``{name: top-1}``, under the heading ``first``) and
    a column per method (``heading(method)``) holding ``cell(method, name)``."""
    lines = [f'| {first} | top-1 (%) | ' + ' | '.join(map(heading, methods)) + ' |',
             '|---|---|' + '---|' * len(methods)]
    return lines + [f'| {name} | {top1:.2f} | ' + ' | '.join(cell(m, name) for m in methods)
                    + ' |' for name, top1 in mentors.items()]


def activation_table(runs: Dict, mentors: Dict) -> List[str]:
    """Each mentor's share of steps in which it taught, per KF method (mean over seeds)."""
    def rates(method: str, name: str) -> str:
        found = [runs[method][s]['telemetry'].get(f'{RATE}{name}') for s in sorted(runs[method])]
        found = [r for r in found if r is not None]
        return (f"{100 * statistics.mean(found):.0f} % "
                f"({', '.join(f'{100 * r:.0f}' for r in found)})" if found else '-')
    return per_mentor_table(mentors, kf_methods(runs), 'mentor',
                            lambda m: f'taught under {m} (per seed)', rates)


def kf_methods(runs: Dict) -> List[str]:
    """The methods of ``runs`` that run the Knowledge Filter and logged activation rates."""
    return [m for m in runs if any(k.startswith(RATE) for r in runs[m].values()
                                   for k in r['telemetry']) and filters_mentors(m)]


def stop_table(runs: Dict, weak: Dict[str, float]) -> List[str]:
    """Per weak mentor (``{name: top-1}``), the epoch from which it stopped teaching under
    each Knowledge Filter method, per seed (:func:`~.stats.stop_epoch`)."""
    def stops(method: str, name: str) -> str:
        rates = [runs[method][s]['telemetry'].get(f'{EPOCH_RATE}{name}')
                 for s in sorted(runs[method])]
        return ', '.join('-' if r is None else str(stop_epoch(r) or 'never') for r in rates)
    return per_mentor_table(weak, kf_methods(runs), 'weak mentor',
                            lambda m: f'stops teaching under {m}: epoch per seed', stops)


def versus_classroomkd(runs: Dict) -> List[str]:
    """ClassroomKD paired against every other method, seed by seed."""
    lines = ['| ClassroomKD minus | per seed (paired) |', '|---|---|']
    return lines + [f"| {m} | {paired(runs['ClassroomKD'], runs[m])} |"
                    for m in runs if m != 'ClassroomKD']


def sensitivity(results: Dict, scale: str, methods: List[str]) -> List[str]:
    """The validation runs of ``scale``: the sensitivity table and what it chose, for the
    test runs of ``methods``."""
    found = selection_scores(results, scale)
    if not found:
        return []
    setup = next(run['setup'] for key, run in results['validation'].items()
                 if key.startswith(f'{scale}/'))
    shared = tau_selection.sharing(GRIDS, methods)
    return [f"**Temperatures chosen on the validation split** ({setup['val_images']:,} images: "
            'the last 500 training images of each class, which no student trains on; the '
            f'{SELECTION_CLASSROOM} classroom; machine: {setup["machine"]}). Top-1 (%) on it '
            'per value, mean over the seeds listed; in bold the chosen value, the best mean '
            "(a tie keeps the configs' value, else the smallest). The test runs below train "
            f"with the chosen values{f' ({shared})' if shared else ''}.", '',
            *tau_selection.sensitivity_table(found, GRIDS), '']


def temperatures_used(runs: Dict) -> List[str]:
    """The chosen temperatures the test runs trained with, in one line (none: no line)."""
    used = {m: tau_selection.describe(any_run({m: runs[m]})['setup'].get('temperatures', {}))
            for m in runs}
    used = {m: text for m, text in used.items() if text}
    return [f"Trained with the temperatures chosen on validation: "
            f"{'; '.join(f'{m} {text}' for m, text in used.items())}.", ''] if used else []


def bar_chart(panels: list, path: str, nokd_runs: Dict) -> None:
    """One panel per (title, {method: {seed: top-1}}): mean and std bars, seeds as dots,
    and the mean of ``nokd_runs['NOKD']`` (when there) as a dashed line."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    widths = [max(3, len(runs)) for _, runs in panels]
    figure, axes = plt.subplots(1, len(panels), figsize=(0.8 * sum(widths) + 2, 4.2),
                                gridspec_kw=dict(width_ratios=widths), squeeze=False)
    for axis, (title, runs) in zip(axes[0], panels):
        names = list(runs)
        means = [mean_std(list(runs[n].values())) for n in names]
        colors = ['#999' if n in ('NOKD', 'KD') or n.startswith(('AVER', 'CA-MKD')) else '#2a7'
                  for n in names]
        axis.bar(names, [m for m, _ in means], yerr=[s for _, s in means], capsize=4,
                 color=colors)
        for x, name in enumerate(names):
            axis.plot([x] * len(runs[name]), list(runs[name].values()), 'k.', markersize=4)
        if 'NOKD' in nokd_runs:
            axis.axhline(statistics.mean(nokd_runs['NOKD'].values()), color='k', ls='--', lw=1,
                         label='NOKD (mean)')
            axis.legend(loc='lower right')
        low = min(min(r.values()) for r in runs.values())
        high = max(max(r.values()) for r in runs.values())
        axis.set(ylabel='top-1 (%)', title=title, ylim=(low - 2, high + 1))
        plt.setp(axis.get_xticklabels(), rotation=25, ha='right')
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


SWEEP_METHODS = ('NOKD', 'KD', 'AVER', 'AVER α=λ', 'CA-MKD (logits)', 'ClassroomKD', 'KF off',
                 'Mentoring off')


def step_ms(run: Dict) -> float:
    """A run's seconds (its evaluation included) per training step, in ms."""
    setup = run['setup']
    steps = setup['epochs'] * -(-setup['train_images'] // setup['batch_size'])
    return 1000 * run['seconds'] / steps


def computed_alone(run: Dict) -> bool:
    """Whether a run computed every mentor output itself, as it does outside a sweep."""
    outputs = run.get('mentor_outputs')
    return outputs is not None and outputs['shared'] == 0


def compute_table(runs: Dict) -> List[str]:
    """Time per training step of each method in the clean classroom (``{method: {seed:
    run}}``): alone (mentor outputs computed; NOKD has none) and in a sweep (shared), and
    per seed, the 8-method sweep's time against the run that computed the mentor outputs."""
    lines = ['| method | ms per step, mentors computed (runs) | ms per step, mentor outputs '
             'shared (runs) |', '|---|---|---|']
    for method in SWEEP_METHODS:
        recorded = [run for run in runs.get(method, {}).values() if 'mentor_outputs' in run]
        alone = [step_ms(r) for r in recorded if computed_alone(r)]
        shared = [step_ms(r) for r in recorded if not computed_alone(r)]
        if method == 'NOKD':
            alone = shared = [step_ms(r) for r in runs.get(method, {}).values()]
        if alone or shared:
            lines.append(f'| {method} | ' + ' | '.join(
                f'{statistics.mean(times):.0f} ({len(times)})' if times else '-'
                for times in (alone, shared)) + ' |')
    ratios = []
    for seed in sorted({s for seeds in runs.values() for s in seeds}):
        sweep = {m: runs.get(m, {}).get(seed) for m in SWEEP_METHODS}
        first = [m for m, run in sweep.items() if run and m != 'NOKD' and computed_alone(run)]
        if all(run and 'mentor_outputs' in run for run in sweep.values()) and first:
            total = sum(run['seconds'] for run in sweep.values())
            ratios.append(f"seed {seed}: {total:.0f} s for the 8 methods against "
                          f"{sweep[first[0]]['seconds']:.0f} s for {first[0]}, which computed "
                          f"the mentor outputs: **{total / sweep[first[0]]['seconds']:.2f}x**")
    return lines + ([''] + ['The 8-method sweep of one seed: ' + '; '.join(ratios) + '.']
                    if ratios else [])


def epochs(setup: Dict) -> str:
    return f"{setup['epochs']} epoch{'s' if setup['epochs'] > 1 else ''}"


def any_run(runs: Dict) -> Dict:
    """One run of ``{method: {seed: run}}``."""
    return next(run for seeds in runs.values() for run in seeds.values())


def top1s(runs: Dict) -> Dict:
    """``{method: {seed: run}}`` -> ``{method: {seed: top-1}}``, methods in METHODS order."""
    return {m: {seed: run['top1'] for seed, run in runs[m].items()} for m in METHODS if m in runs}


def report(results: Dict, docs: str) -> str:
    """The markdown of every recorded scale and classroom; draws docs/cifar10_methods_*.png."""
    lines, strong = [], {m.name for m in classroom_config().model.mentors}
    for scale, classrooms in sorted(runs_by_scale(results).items()):
        setup = any_run(next(iter(classrooms.values())))['setup']
        title = {'cpu': 'CPU scale', 'cpu10k': 'CPU scale, 10k', 'full': 'Full scale'}.get(
            scale, scale)
        lines += [f"### {title}: {setup['train_images']:,} training images, {epochs(setup)}",
                  '', f"ResNet-8 student; the first {setup['train_images'] // 10:,} training "
                  f"images of each class (none of the validation split); all "
                  f"{setup['test_images']:,} test images; {epochs(setup)} of batch "
                  f"{setup['batch_size']}; machine: {setup['machine']}. NOKD is the student "
                  'alone, the same runs for both classrooms.', '']
        lines += sensitivity(results, scale, [m for m in METHODS if any(
            m in runs for runs in classrooms.values())])
        clean = top1s(classrooms.get('clean', {}))
        panels = []
        for classroom in ('clean', 'noisy'):
            runs = classrooms.get(classroom)
            if not runs:
                continue
            mentors = {name: results['mentors'][name]['top1']
                       for name in any_run(runs)['setup']['mentors']}
            weak = {name: top1 for name, top1 in mentors.items() if name not in strong}
            listed = ', '.join(f'{name} {top1:.2f}' + (
                ' (outside the {:g}-{:g} % a weak mentor needs)'.format(*WEAK_BAND)
                if name in weak and not WEAK_BAND[0] <= top1 <= WEAK_BAND[1] else '')
                for name, top1 in mentors.items())
            lines += [f'**{classroom.capitalize()} classroom** (mentors, top-1 % on the same '
                      f'test set: {listed}).', '']
            accs = top1s(runs)
            lines += temperatures_used(runs)
            lines += accuracy_table(accs, clean.get('NOKD', {}),
                                    clean if classroom == 'noisy' else None) + ['']
            if 'ClassroomKD' in accs:
                lines += versus_classroomkd(accs) + ['']
            lines += activation_table({m: runs[m] for m in accs}, mentors) + ['']
            if classroom == 'clean' and any('mentor_outputs' in run for seeds in runs.values()
                                            for run in seeds.values()):
                lines += ['**Compute.** Each run\'s wall time (training and evaluation) per '
                          'training step, on the machine above, with the other seeds\' '
                          'single-threaded sweeps beside it on the same cores. A run that '
                          'computes its mentor outputs costs what it costs outside a sweep.',
                          ''] + compute_table(runs) + ['']
            if weak:
                lines += [f'When each weak mentor stopped teaching: the epoch from which it '
                          f'taught in under {100 * STOPPED_BELOW:.0f} % of the steps of every '
                          'epoch to the end ("never": not in the last one).', '']
                lines += stop_table({m: runs[m] for m in accs}, weak) + ['']
            panels.append((f'{classroom} classroom, {scale} scale', accs))
        chart = f'cifar10_methods_{scale}.png'
        bar_chart(panels, osp.join(docs, chart), clean)
        lines += [f'![top-1 per method, {scale} scale]({chart})', '']
    return '\n'.join(lines).rstrip() + '\n'


def write_report(results: Dict, docs: str) -> str:
    """Replace the block between the report markers of ``docs/results.md``."""
    text = report(results, docs)
    replace_block(osp.join(docs, 'results.md'), REPORT_START, REPORT_END, text)
    return text
