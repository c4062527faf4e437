"""The cost of a sweep of methods on one seed (mentor outputs shared) against one ClassroomKD run.

    python tools/benchmarks/sweep_cost.py                          # CIFAR-10, the benchmark's CPU scale
    python tools/benchmarks/sweep_cost.py --per-class 1000 --epochs 2 --test-per-class 100
    python tools/benchmarks/sweep_cost.py --lsp heatmap --images 300 --test-images 300

CIFAR-10: the clean classroom of the benchmark (classroomkd_mm.experiments.cifar10_methods),
each method's config as the benchmark trains it. ``--lsp CLASSROOM``: that LSP classroom of
classroomkd_mm.experiments.lsp, its students on the first ``--images`` training images for
their configs' 10 epochs. On this machine (``CUDA_VISIBLE_DEVICES=`` for the CPU). The sweep
(classroomkd_mm.experiments.sweep) runs first, then ClassroomKD alone; prints both times,
their ratio and the sweep's mentor lookups, and writes them to WORK_DIR/sweep_cost.json.
"""
import argparse
import json
import os
import os.path as osp

from classroomkd_mm.datasets.lsp import prepare
from classroomkd_mm.experiments import cifar10_methods, lsp
from classroomkd_mm.experiments.methods import METHOD_NAMES
from classroomkd_mm.experiments.sweep import sweep_cost

CIFAR10_METHODS = ('NOKD', 'KD', 'AVER', 'AVER α=λ', 'CA-MKD (logits)', 'ClassroomKD',
                   'KF off', 'Mentoring off')
LSP_METHODS = ('nokd', 'aver', 'aver_matched', 'ca_mkd', 'ca_mkd_matched', 'classroomkd',
               'per_sample', 'kf_off')


def cifar10_configs(args) -> dict:
    classroom = cifar10_methods.classroom_config()
    mentors = [m.to_dict() for m in classroom.model.mentors]
    methods = dict.fromkeys(list(args.methods or CIFAR10_METHODS) + ['ClassroomKD'])
    return {method: cifar10_methods.run_config(classroom, method, mentors, args.epochs,
                                               args.seed, args.per_class, args.test_per_class)
            for method in methods}, 'ClassroomKD', 10 * args.per_class


def lsp_configs(args) -> dict:
    prepare(lsp.DEFAULT_ARCHIVE, lsp.DATA_ROOT)
    methods = list(dict.fromkeys(list(args.methods or LSP_METHODS) + ['classroomkd']))
    options = {'train_dataloader.dataset.indices': args.images}
    if args.test_images:
        options['test_dataloader.dataset.indices'] = args.test_images
    return (lsp.sweep_configs(args.lsp, methods, args.seed, osp.join(args.work_dir, 'sweep'),
                              options),
            lsp.run_name(args.lsp, 'classroomkd', args.seed), args.images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--lsp', choices=list(lsp.CLASSROOMS), default=None,
                        help='an LSP classroom instead of the CIFAR-10 one')
    parser.add_argument('--methods', nargs='+', default=None,
                        help=f'CIFAR-10: names of {list(METHOD_NAMES)}; LSP: keys of '
                        f'{list(lsp.METHODS)}')
    parser.add_argument('--per-class', type=int,
                        default=cifar10_methods.SCALES['cpu']['train_per_class'],
                        help='CIFAR-10 training images per class')
    parser.add_argument('--epochs', type=int, default=cifar10_methods.SCALES['cpu']['epochs'],
                        help='CIFAR-10 epochs')
    parser.add_argument('--test-per-class', type=int, default=None,
                        help='CIFAR-10 test images per class (default: all 1,000)')
    parser.add_argument('--images', type=int, default=lsp.STUDENT_IMAGES,
                        help='LSP training images')
    parser.add_argument('--test-images', type=int, default=None,
                        help='LSP test images (default: all 1,000)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/sweep_cost (CIFAR-10), work_dirs/sweep_cost_lsp')
    args = parser.parse_args()
    args.work_dir = args.work_dir or ('work_dirs/sweep_cost' + ('_lsp' if args.lsp else ''))
    configs, alone, train_images = (lsp_configs if args.lsp else cifar10_configs)(args)
    cost = sweep_cost(configs, alone, args.work_dir)
    summary = dict(machine=cifar10_methods.machine(), benchmark=args.lsp or 'cifar10',
                   train_images=train_images, epochs=configs[alone].train_cfg.max_epochs,
                   methods=list(configs), **{key: value for key, value in cost.items()
                                             if key != 'runs'})
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'sweep_cost.json'), 'w') as f:
        json.dump(dict(summary, runs=cost['runs']), f, indent=1, ensure_ascii=False,
                  default=float)  # numpy scalars among the metrics
    print(f"{len(configs)}-method sweep {cost['sweep_seconds']:.1f} s, ClassroomKD alone "
          f"{cost['alone_seconds']:.1f} s: ratio {cost['ratio']:.2f} ({summary['machine']}, "
          f"{summary['benchmark']}, {train_images} training images, {summary['epochs']} "
          f"epochs); mentor lookups {cost['mentor_hits']} hits, {cost['mentor_misses']} misses")


if __name__ == '__main__':
    main()
