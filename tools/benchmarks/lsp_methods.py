"""NOKD, AVER and ClassroomKD on LSP Extended: two pose classrooms, several seeds, resumable.

    python tools/benchmarks/lsp_methods.py [--seeds 0 1 2] [--classrooms heatmap simcc]
        [--methods KEY ...] [--rerun KEY ...] [--jobs N] [--report-only]

Uses the shipped mentors of data/lsp_mentors/ (tools/train_lsp_mentors.py). Every student
trains on the first 1,000 training images of LSP Extended for its config's 10 epochs (the CPU
scale; the mentors saw all 9,000 images) and is tested on the 1,000 test images (PCK@0.2,
EPE). Each finished run is recorded in work_dirs/lsp_bench/results.json and skipped on the
next call; ``--rerun`` forgets the named methods first. The report (markdown tables for
docs/results.md) is printed at the end, and the plot written to docs/lsp_methods.png. The
classrooms and methods: ``classroomkd_mm/experiments/lsp.py``.
"""
import argparse
import os
import os.path as osp

from classroomkd_mm.datasets.lsp import prepare
from classroomkd_mm.experiments.lsp import (CLASSROOMS, DATA_ROOT, DEFAULT_ARCHIVE, METHODS,
                                            benchmark_runs, default_jobs, run_all)
from classroomkd_mm.experiments.lsp_mentors import shipped_pck
from classroomkd_mm.experiments.lsp_report import plot, report
from classroomkd_mm.experiments.results import ResultStore

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
WORK = 'work_dirs/lsp_bench'
PLOT = 'docs/lsp_methods.png'


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
    store = ResultStore(osp.join(WORK, 'results.json'))
    if not args.report_only:
        prepare(args.archive, DATA_ROOT)
        store.remove(*(run.name for run in benchmark_runs(args.classrooms, args.rerun,
                                                          args.seeds)))
        run_all(benchmark_runs(args.classrooms, args.methods, args.seeds), store, WORK,
                args.jobs, done=lambda run, r: print(
                    f"{run.name}: PCK {r['PCK']:.2f}, EPE {r['EPE']:.2f} ({r['seconds']:.0f} s)",
                    flush=True))
    plot(store.data, args.seeds, PLOT)
    print(report(store.data, args.seeds, shipped_pck()))


if __name__ == '__main__':
    main()
