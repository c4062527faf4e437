"""ClassroomKD against its baselines on real CIFAR-10 with strong mentors; several seeds, resumable.

    python tools/benchmarks/cifar10_methods.py --select-temperatures  # cpu10k without CUDA (2 CPU cores: about 2 hours)
    python tools/benchmarks/cifar10_methods.py --scale cpu     # 1,500 training images, 12 epochs
    python tools/benchmarks/cifar10_methods.py --scale full    # 45,000 training images (GPU)
    python tools/benchmarks/cifar10_methods.py --methods "per-sample KF" DTKD --rerun
    python tools/benchmarks/cifar10_methods.py --report-only   # docs from the runs so far

Every run trains a method's config through MMEngine's Runner, on the config's fast data
path (classroomkd_mm.experiments.cifar10_methods). Students never train on the validation
split (the last 500 training images of each class). With ``--select-temperatures`` the
temperatures of classroomkd_mm.experiments.tau_selection are first chosen on it, and the
test runs train with them. The runs of one seed are one sweep that computes each mentor output
once. Every finished run is recorded in WORK_DIR/results.json (under a file lock: several
processes can share WORK_DIR, e.g. one per seed with ``--seeds N``) and skipped on the next
call (trained again if its temperatures changed); the report
(docs/results.md between its markers, and docs/cifar10_methods_<scale>.png) is rewritten at
the end. Runs on CUDA when there is one (``CUDA_VISIBLE_DEVICES=`` for the CPU).
"""
import argparse
import os.path as osp

import torch

from classroomkd_mm.experiments.cifar10_methods import METHODS, SCALES, run_all
from classroomkd_mm.experiments.cifar10_report import write_report
from classroomkd_mm.experiments.results import ResultStore


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scale', choices=SCALES, default=None,
                        help='cpu: 150 images per class, 12 epochs; cpu10k (default without '
                        'CUDA): 1,000 per class, 15 epochs; full (default with CUDA): all '
                        '4,500 per class outside the validation split, 20 epochs')
    parser.add_argument('--classroom', choices=('clean', 'noisy'), nargs='+',
                        default=['clean', 'noisy'])
    parser.add_argument('--methods', nargs='+', choices=METHODS, default=list(METHODS))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--select-temperatures', action='store_true',
                        help='choose the temperatures of tau_selection.CLASSIFICATION_GRIDS on '
                        'the validation split first (clean classroom), then train with them')
    parser.add_argument('--selection-seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--rerun', action='store_true',
                        help='train the selected runs again even if recorded')
    parser.add_argument('--report-only', action='store_true',
                        help='write the report from the runs recorded so far, train nothing')
    parser.add_argument('--slice', type=int, default=None, metavar='N',
                        help='a quick end-to-end check: N images per class for everything '
                        '(students, tests, weak mentors), one epoch')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/cifar10_methods, or ..._slice with --slice '
                        '(so that its weak mentors never stand in for the real ones)')
    parser.add_argument('--docs', default='docs', help='where results.md and the chart are')
    args = parser.parse_args()
    work_dir = args.work_dir or ('work_dirs/cifar10_methods' + ('_slice' if args.slice else ''))
    store = ResultStore(osp.join(work_dir, 'results.json'))
    if not args.report_only:
        scale = args.scale or ('full' if torch.cuda.is_available() else 'cpu10k')
        run_all(store, work_dir, scale, args.classroom, args.methods, args.seeds, args.rerun,
                args.slice, args.select_temperatures, args.selection_seeds)
    print(write_report(store.data, args.docs))


if __name__ == '__main__':
    main()
