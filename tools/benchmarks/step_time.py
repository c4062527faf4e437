"""Per-step time and autograd memory of ClassroomKD against its baselines, on one machine.

    python tools/benchmarks/step_time.py [--device cpu|cuda] [--batch 64] [--reps 15] [--compile]
                                         [--mentors resnet110,resnet8,...]

The paper's CIFAR classroom, every variant timed on one MMEngine training step
(``model.train_step``) of the same batch (classroomkd_mm.experiments.step_time). Prints the
device, then Markdown tables of the variants and of the targets.
"""
import argparse

import torch

from classroomkd_mm.experiments.step_time import measure, report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--reps', type=int, default=15)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--compile', action='store_true',
                        help='also time the fast path with torch.compile (compiles first)')
    parser.add_argument('--mentors', default=None,
                        help='the classroom, teacher first (default: the paper\'s six); a '
                        'smaller one makes a quick check (tools/gpu_check.py --dry-run)')
    args = parser.parse_args()
    print(report(measure(torch.device(args.device), args.batch, args.reps, args.warmup,
                         args.compile, args.mentors.split(',') if args.mentors else None)))


if __name__ == '__main__':
    main()
