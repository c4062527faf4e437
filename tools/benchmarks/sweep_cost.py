"""The cost of a sweep of methods on one seed (mentor outputs shared) against one ClassroomKD run.

    python tools/benchmarks/sweep_cost.py                          # the benchmark's CPU scale
    python tools/benchmarks/sweep_cost.py --per-class 20 --test-per-class 20 --epochs 1

The clean CIFAR-10 classroom of the benchmark (classroomkd_mm.experiments.cifar10_methods),
each method's config as the benchmark trains it, on this machine (``CUDA_VISIBLE_DEVICES=``
for the CPU). The sweep (classroomkd_mm.experiments.sweep) runs first, then ClassroomKD
alone; prints both times, their ratio and the sweep's mentor lookups, and writes them to
WORK_DIR/sweep_cost.json.
"""
import argparse
import json
import os
import os.path as osp

from classroomkd_mm.experiments.cifar10_methods import (SCALES, classroom_config, machine,
                                                        run_config)
from classroomkd_mm.experiments.methods import METHOD_NAMES
from classroomkd_mm.experiments.sweep import sweep_cost

METHODS = ('NOKD', 'KD', 'AVER', 'AVER α=λ', 'CA-MKD (logits)', 'ClassroomKD', 'KF off',
           'Mentoring off')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--per-class', type=int, default=SCALES['cpu']['train_per_class'],
                        help='training images per class')
    parser.add_argument('--epochs', type=int, default=SCALES['cpu']['epochs'])
    parser.add_argument('--test-per-class', type=int, default=None,
                        help='test images per class (default: all 1,000)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--methods', nargs='+', choices=METHOD_NAMES, default=list(METHODS))
    parser.add_argument('--work-dir', default='work_dirs/sweep_cost')
    args = parser.parse_args()
    classroom = classroom_config()
    mentors = [m.to_dict() for m in classroom.model.mentors]
    configs = {method: run_config(classroom, method, mentors, args.epochs, args.seed,
                                  args.per_class, args.test_per_class)
               for method in dict.fromkeys(args.methods + ['ClassroomKD'])}
    cost = sweep_cost(configs, 'ClassroomKD', args.work_dir)
    summary = dict(machine=machine(), train_images=10 * args.per_class, epochs=args.epochs,
                   methods=list(configs), **{key: value for key, value in cost.items()
                                             if key != 'runs'})
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'sweep_cost.json'), 'w') as f:
        json.dump(dict(summary, runs=cost['runs']), f, indent=1, ensure_ascii=False)
    print(f"{len(configs)}-method sweep {cost['sweep_seconds']:.1f} s, ClassroomKD alone "
          f"{cost['alone_seconds']:.1f} s: ratio {cost['ratio']:.2f} ({summary['machine']}, "
          f"{summary['train_images']} training images, {args.epochs} epochs); mentor lookups "
          f"{cost['mentor_hits']} hits, {cost['mentor_misses']} misses")


if __name__ == '__main__':
    main()
