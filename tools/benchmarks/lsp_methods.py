"""NOKD, AVER and ClassroomKD on LSP Extended: two pose classrooms, several seeds, resumable.

    python tools/benchmarks/lsp_methods.py [--seeds 0 1 2] [--classrooms heatmap simcc]
        [--methods NAME ...] [--rerun NAME ...] [--jobs N] [--report-only]

Uses the shipped mentors of data/lsp_mentors/ (tools/train_lsp_mentors.py). Every student trains on the first 1,000
training images of LSP Extended for its config's 10 epochs (the CPU scale; the mentors saw
all 9,000 images) and is tested on the 1,000 test images (PCK@0.2, EPE). Each finished run
is recorded in work_dirs/lsp_bench/results.json and skipped on the next call;
``--rerun`` forgets the named methods first (e.g. per-sample ClassroomKD once its Eq. 10
changes). The report (markdown tables for docs/results.md) is printed at the end, and the
plot written to docs/lsp_methods.png.
"""
import argparse
import json
import os
import os.path as osp
import re
import statistics
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [osp.join(REPO, 'tools'), osp.join(REPO, 'tools', 'data'),
                osp.join(REPO, 'tools', 'benchmarks')]
from lsp_runs import default_jobs, run_all  # noqa: E402
from prepare_lsp import DEFAULT_ARCHIVE, prepare  # noqa: E402
from seed_stats import mean_std, paired  # noqa: E402

WORK = 'work_dirs/lsp_bench'
RESULTS = osp.join(WORK, 'results.json')
MENTOR_README = 'data/lsp_mentors/README.md'
PLOT = 'docs/lsp_methods.png'
BASELINES = ('NOKD', 'AVER', 'AVER, alpha = lambda')
TRAIN_IMAGES = 1000
CLASSROOMS = {
    'heatmap': dict(title='LiteHRNet-18 student, heatmap classroom',
                    student='configs/lsp/litehrnet-18_lsp-64x64.py',
                    classroom='configs/lsp/litehrnet-18_classroom{}.py',
                    mentors=('litehrnet-30', 'litehrnet-18'), weak='litehrnet-18_weak'),
    'simcc': dict(title='RTMPose-t student, SimCC classroom',
                  student='configs/lsp/rtmpose-t_lsp-64x64.py',
                  classroom='configs/lsp/rtmpose-t_classroom{}.py',
                  mentors=('rtmpose-s', 'rtmpose-t'), weak='rtmpose-t_weak'),
}
# method: (classroom config suffix, or None for the student alone; overrides; classrooms)
METHODS = {
    'NOKD': (None, {}, ('heatmap', 'simcc')),
    'AVER': ('_aver', {}, ('heatmap', 'simcc')),
    'AVER, alpha = lambda': ('_aver-matched', {}, ('heatmap', 'simcc')),
    'ClassroomKD': ('', {}, ('heatmap', 'simcc')),
    'ClassroomKD per-sample': ('_per-sample', {}, ('heatmap', 'simcc')),
    'KF off': ('_kf-off', {}, ('heatmap', 'simcc')),
    'noisy: AVER': ('_noisy_aver', {}, ('heatmap', 'simcc')),
    'noisy: ClassroomKD': ('_noisy', {}, ('heatmap', 'simcc')),
    # the two heatmap design points: the alternatives to the classroom's defaults
    'ClassroomKD, heatmap_beta 1': ('', {'model.adapter.heatmap_beta': 1.0}, ('heatmap', )),
    'ClassroomKD, no floor': ('', {'model.adapter.heatmap_floor': 0.0}, ('heatmap', )),
}


def slug(text: str) -> str:
    return re.sub('[^a-z0-9]+', '_', text.lower()).strip('_')


def run_name(classroom: str, method: str, seed: int) -> str:
    return f'{classroom}/{slug(method)}/seed{seed}'


def runs_for(classrooms, methods, seeds):
    runs = []
    for classroom in classrooms:
        spec = CLASSROOMS[classroom]
        for seed in seeds:
            for method in methods:
                suffix, overrides, where = METHODS[method]
                if classroom not in where:
                    continue
                config = spec['student'] if suffix is None else spec['classroom'].format(suffix)
                options = dict(overrides, **{'train_dataloader.dataset.indices': TRAIN_IMAGES,
                                             'randomness.seed': seed})
                runs.append((run_name(classroom, method, seed), config, options))
    return runs


def shipped_mentor_pck(readme: str = MENTOR_README) -> dict:
    """Each shipped mentor's PCK@0.2 on the test split, from its README's table."""
    rows = re.findall(r'^\| `([\w.-]+)\.pth` \|[^|]*\|[^|]*\| ([\d.]+) \|', open(readme).read(),
                      re.MULTILINE)
    return {name: float(pck) for name, pck in rows}


def by_seed(runs, seeds, metric: str) -> dict:
    return {seed: run[metric] for seed, run in zip(seeds, runs)}


def mean_pm_std(values) -> str:
    mean, std = mean_std(list(values))
    return f'{mean:.2f} ± {std:.2f}'


def baselines(method: str) -> tuple:
    """What ``method`` is paired with: a noisy-classroom method with the noisy AVER."""
    if not method.startswith('noisy: '):
        return BASELINES
    return tuple({'AVER': 'noisy: AVER', 'NOKD': 'NOKD'}.get(b, '') for b in BASELINES)


def report(results, seeds) -> str:
    mentors = shipped_mentor_pck()
    lines = []
    for classroom, spec in CLASSROOMS.items():
        table = {}
        for method in METHODS:
            runs = [results.get(run_name(classroom, method, s)) for s in seeds]
            if all(runs):
                table[method] = runs
        if not table:
            continue
        lines += [f"### {spec['title']}", '',
                  '| method | PCK@0.2 mean ± std (%) | per seed | vs NOKD (paired) | '
                  'vs AVER (paired) | vs AVER, alpha = lambda (paired) | EPE mean ± std (px) |',
                  '|---|---|---|---|---|---|---|']
        for method, runs in table.items():
            pck = by_seed(runs, seeds, 'PCK')
            versus = [paired(pck, by_seed(table[b], seeds, 'PCK'))
                      if b in table and b != method else '-' for b in baselines(method)]
            lines.append(f"| {method} | {mean_pm_std(pck.values())} | "
                         f"{', '.join(f'{p:.2f}' for p in pck.values())} | "
                         f"{' | '.join(versus)} | {mean_pm_std(r['EPE'] for r in runs)} |")
        names = spec['mentors'] + (spec['weak'], )
        own = ', '.join(f'{m} {mentors[m]:.2f}' for m in names if m in mentors)
        lines += ['', f'Mentors alone (PCK@0.2 %, test split): {own}.', '']
        rates = [(method, table[method]) for method in table if 'active' in table[method][0]]
        if rates:
            lines += ['Activation rates (share of training steps a mentor taught; mean over '
                      'seeds):', '', '| method | ' + ' | '.join(names) + ' |',
                      '|---|' + '---|' * len(names)]
            for method, runs in rates:
                cells = [f"{statistics.mean(r['active'][m] for r in runs):.2f}"
                         if m in runs[0]['active'] else '-' for m in names]
                lines.append(f'| {method} | ' + ' | '.join(cells) + ' |')
            lines.append('')
    return '\n'.join(lines)


def plot(results, seeds) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(1, len(CLASSROOMS), figsize=(12, 4.5), squeeze=False)
    for axis, (classroom, spec) in zip(axes[0], CLASSROOMS.items()):
        names, means, stds = [], [], []
        for method in METHODS:
            pck = [results[run_name(classroom, method, s)]['PCK'] for s in seeds
                   if run_name(classroom, method, s) in results]
            if len(pck) == len(seeds):
                names.append(method)
                mean, std = mean_std(pck)
                means.append(mean)
                stds.append(std)
        if not names:
            continue
        axis.barh(names[::-1], means[::-1], xerr=stds[::-1], capsize=3,
                  color=['#888' if n.startswith(('NOKD', 'AVER', 'noisy: AVER')) else '#2a7'
                         for n in names[::-1]])
        axis.set(xlabel='PCK@0.2 (%), mean ± std over seeds', title=spec['title'],
                 xlim=(min(means) - 5, max(means) + 3))
    figure.suptitle('LSP Extended, 1,000 training images, 10 epochs, 64x64 '
                    '(2-core CPU container)')
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--classrooms', nargs='+', choices=list(CLASSROOMS),
                        default=list(CLASSROOMS))
    parser.add_argument('--methods', nargs='+', choices=list(METHODS), default=list(METHODS))
    parser.add_argument('--rerun', nargs='+', choices=list(METHODS), default=[],
                        help='forget these methods\' recorded runs and run them again')
    parser.add_argument('--jobs', type=int, default=default_jobs())
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args()
    os.chdir(REPO)
    results = json.load(open(RESULTS)) if osp.isfile(RESULTS) else {}
    if not args.report_only:
        prepare(args.archive)
        forget = {name for name, _, _ in runs_for(args.classrooms, args.rerun, args.seeds)}
        if forget:
            os.makedirs(WORK, exist_ok=True)
            with open(RESULTS, 'w') as f:
                json.dump({k: v for k, v in results.items() if k not in forget}, f, indent=2)
        runs = runs_for(args.classrooms, args.methods, args.seeds)
        results = run_all(runs, RESULTS, WORK, args.jobs)
    plot(results, args.seeds)
    print(report(results, args.seeds))


if __name__ == '__main__':
    main()
