"""NOKD, AVER, CA-MKD (logits) and ClassroomKD on LSP Extended: two pose classrooms, several
seeds, resumable.

    python tools/benchmarks/lsp_methods.py [--seeds 0 1 2] [--classrooms heatmap simcc]
        [--methods KEY ...] [--rerun KEY ...] [--jobs N] [--images N] [--select-temperatures
        [--selection-seeds 0]] [--report-only]

Uses the shipped mentors of data/lsp_mentors/ (tools/train_lsp_mentors.py). Every student
trains on the first ``--images`` training images of LSP Extended (default 1,000; at most
8,000, the last 1,000 being the validation split; the mentors saw all 9,000) for its
config's 10 epochs and is tested on the 1,000 test images (PCK@0.2, EPE). With
``--select-temperatures``, ClassroomKD's τ0 is first chosen per classroom on the validation
split (the last 1,000 training images), and ClassroomKD and its variants train with it. The
runs of one classroom and seed are one job, run in turn in one process, sharing their
mentors' outputs (classroomkd_mm/mentor_cache.py); ``--jobs`` such jobs run side by side.
Each finished run is recorded in WORK_DIR/results.json and skipped on the next call (trained
again if its temperature or its number of images changed); ``--rerun`` forgets the named
methods first. The report is written into docs/results.md between its markers (and
printed), the plot to docs/lsp_methods.png. The classrooms and methods:
``classroomkd_mm/experiments/lsp.py``.
"""
import argparse
import os
import os.path as osp

from classroomkd_mm.datasets.lsp import prepare
from classroomkd_mm.experiments.lsp import (CLASSROOMS, DATA_ROOT, DEFAULT_ARCHIVE, METHODS,
                                            STUDENT_IMAGES, benchmark_runs, chosen_temperatures,
                                            classroom_and_seed, default_jobs, run_all, stale,
                                            validation_runs)
from classroomkd_mm.experiments.lsp_mentors import shipped_pck
from classroomkd_mm.experiments.lsp_report import write_report
from classroomkd_mm.experiments.results import ResultStore

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def print_run(run, result):
    print(f"{run.name}: PCK {result['PCK']:.2f}, EPE {result['EPE']:.2f} "
          f"({result['seconds']:.0f} s)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--classrooms', nargs='+', choices=list(CLASSROOMS),
                        default=list(CLASSROOMS))
    parser.add_argument('--methods', nargs='+', choices=list(METHODS), default=list(METHODS))
    parser.add_argument('--rerun', nargs='+', choices=list(METHODS), default=[],
                        help='forget these methods\' recorded runs and run them again')
    parser.add_argument('--jobs', type=int, default=default_jobs())
    parser.add_argument('--images', type=int, default=STUDENT_IMAGES,
                        help='the students train on the first IMAGES training images')
    parser.add_argument('--select-temperatures', action='store_true',
                        help="choose ClassroomKD's τ0 on the validation split first "
                        '(tau_selection.POSE_GRIDS), then train with it')
    parser.add_argument('--selection-seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    parser.add_argument('--report-only', action='store_true',
                        help='write the report from the runs recorded so far, train nothing')
    parser.add_argument('--work-dir', default='work_dirs/lsp_bench',
                        help='relative to the checkout, as every path here')
    parser.add_argument('--docs', default='docs', help='where results.md and the plot are')
    args = parser.parse_args()
    os.chdir(REPO)
    store = ResultStore(osp.join(args.work_dir, 'results.json'))
    if not args.report_only:
        prepare(args.archive, DATA_ROOT)
        store.remove(*(run.name for run in benchmark_runs(args.classrooms, args.rerun,
                                                          args.seeds)))
        chosen = None
        if args.select_temperatures:
            runs = validation_runs(args.classrooms, args.methods, args.selection_seeds,
                                   args.images)
            store.remove(*stale(runs, store))
            run_all(runs, store, args.work_dir, args.jobs, done=print_run,
                    share_by=classroom_and_seed)
            chosen = chosen_temperatures(store.data, args.classrooms)
            print(f'chosen on the validation split: {chosen}')
        runs = benchmark_runs(args.classrooms, args.methods, args.seeds, chosen, args.images)
        store.remove(*stale(runs, store))
        run_all(runs, store, args.work_dir, args.jobs, done=print_run,
                share_by=classroom_and_seed)
    print(write_report(store.data, args.seeds, shipped_pck(), args.docs))


if __name__ == '__main__':
    main()
