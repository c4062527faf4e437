"""The report of the CIFAR-10 benchmark (:mod:`.cifar10_methods`): docs/results.md between its
markers, and a bar chart per scale."""
import os.path as osp
import statistics
from typing import Dict, List

from .cifar10_methods import METHODS, classroom_config, runs_by_scale
from .methods import method_config
from .stats import RATE, mean_pm_std, mean_std, paired

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


def activation_table(runs: Dict, mentors: Dict) -> List[str]:
    """Each mentor's share of steps in which it taught, per KF method (mean over seeds)."""
    methods = [m for m in runs if any(k.startswith(RATE) for r in runs[m].values()
                                      for k in r['telemetry']) and filters_mentors(m)]
    lines = ['| mentor | top-1 (%) | ' + ' | '.join(f'taught under {m} (per seed)'
                                                   for m in methods) + ' |',
             '|---|---|' + '---|' * len(methods)]
    for name, top1 in mentors.items():
        cells = []
        for method in methods:
            rates = [runs[method][s]['telemetry'].get(f'{RATE}{name}')
                     for s in sorted(runs[method])]
            rates = [r for r in rates if r is not None]
            cells.append(f"{100 * statistics.mean(rates):.0f} % "
                         f"({', '.join(f'{100 * r:.0f}' for r in rates)})" if rates else '-')
        lines.append(f'| {name} | {top1:.2f} | ' + ' | '.join(cells) + ' |')
    return lines


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
        colors = ['#999' if n in ('NOKD', 'KD') or n.startswith('AVER') else '#2a7'
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
    lines = []
    for scale, classrooms in sorted(runs_by_scale(results).items()):
        setup = any_run(next(iter(classrooms.values())))['setup']
        title = {'cpu': 'CPU scale', 'full': 'Full scale'}.get(scale, scale)
        lines += [f"### {title}: {setup['train_images']:,} training images, {epochs(setup)}",
                  '', f"ResNet-8 student; the first {setup['train_images'] // 10:,} training "
                  f"images of each class; all {setup['test_images']:,} test images; "
                  f"{epochs(setup)} of batch {setup['batch_size']}; machine: "
                  f"{setup['machine']}. NOKD is the student alone, the same runs for both "
                  'classrooms.', '']
        clean = top1s(classrooms.get('clean', {}))
        panels = []
        for classroom in ('clean', 'noisy'):
            runs = classrooms.get(classroom)
            if not runs:
                continue
            mentors = {name: results['mentors'][name]['top1']
                       for name in any_run(runs)['setup']['mentors']}
            listed = ', '.join(f'{name} {top1:.2f}' for name, top1 in mentors.items())
            lines += [f'**{classroom.capitalize()} classroom** (mentors, top-1 % on the same '
                      f'test set: {listed}).', '']
            accs = top1s(runs)
            lines += accuracy_table(accs, clean.get('NOKD', {}),
                                    clean if classroom == 'noisy' else None) + ['']
            lines += activation_table({m: runs[m] for m in accs}, mentors) + ['']
            panels.append((f'{classroom} classroom, {scale} scale', accs))
        chart = f'cifar10_methods_{scale}.png'
        bar_chart(panels, osp.join(docs, chart), clean)
        lines += [f'![top-1 per method, {scale} scale]({chart})', '']
    return '\n'.join(lines).rstrip() + '\n'


def write_report(results: Dict, docs: str) -> str:
    """Replace the block between the report markers of ``docs/results.md``."""
    text = report(results, docs)
    path = osp.join(docs, 'results.md')
    page = open(path).read() if osp.isfile(path) else ''
    block = f'{REPORT_START}\n{text}{REPORT_END}'
    if REPORT_START in page:
        before, rest = page.split(REPORT_START, 1)
        page = before + block + rest.split(REPORT_END, 1)[1]
    else:
        page += f'\n{block}\n'
    with open(path, 'w') as f:
        f.write(page)
    return text
