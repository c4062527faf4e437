"""ClassroomKD against its baselines on real CIFAR-10, several seeds, resumable.

    python tools/benchmarks/cifar10_methods.py [--seeds 0 1 2] [--train-per-class 200]

1. unpacks a class-balanced training subset and the full 10,000-image test set;
2. trains the classroom of configs/cifar10_demo/benchmark_classroom.py alone
   (a ResNet-32 teacher; ResNet-20, ResNet-14, MobileNetV2, ShuffleNetV2 peers);
3. trains the ResNet-8 student with every method and seed;
4. prints the table of docs/results.md (mean ± std, paired per-seed differences
   against AVER and NOKD) and writes its bar chart, docs/cifar10_methods.png.

Every finished run is recorded in work_dirs/cifar10_bench/results.json and
skipped on the next call, so an interrupted benchmark resumes.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [osp.join(REPO, 'tools', 'data'), osp.join(REPO, 'tools', 'demo')]
from cifar10_classroom import train_and_test  # noqa: E402
from prepare_cifar10 import prepare  # noqa: E402

WORK = 'work_dirs/cifar10_bench'
RESULTS = osp.join(WORK, 'results.json')
CLASSROOM = 'configs/cifar10_demo/benchmark_classroom.py'
STANDALONE = 'configs/cifar10_demo/standalone.py'
MENTORS = ('resnet32', 'resnet20', 'resnet14', 'mobilenetv2', 'shufflev2')
EPOCHS = 12
DATA = {'train_dataloader.dataset.data_root': 'data/cifar10_bench',
        'val_dataloader.dataset.data_root': 'data/cifar10_bench',
        'test_dataloader.dataset.data_root': 'data/cifar10_bench',
        'param_scheduler.T_max': EPOCHS, 'train_cfg.max_epochs': EPOCHS,
        'train_cfg.val_interval': EPOCHS, 'default_hooks.checkpoint.interval': EPOCHS}
OFF = {'model.kf.enabled': False, 'model.mentoring.enabled': False,
       'model.rank_weights': False}
# method -> (config, overrides)
METHODS = {
    'NOKD': (STANDALONE, dict(DATA, **{'model.arch': 'resnet8'})),
    'KD': (CLASSROOM, dict(OFF, **{'model.mentors': 'teacher only'})),
    'AVER': (CLASSROOM, OFF),
    'ClassroomKD': (CLASSROOM, {}),
    'KF off': (CLASSROOM, {'model.kf.enabled': False}),
    'Mentoring off': (CLASSROOM, {'model.mentoring.enabled': False}),
    'Method B': (CLASSROOM, {'model.kf.ranking': 'uniform'}),
    'per-sample KF': (CLASSROOM, {'model.kf.granularity': 'sample'}),
}


def run_name(method, seed):
    return f"{method.lower().replace(' ', '_').replace('-', '_')}_seed{seed}"


def resolve(config, overrides):
    """``'teacher only'`` keeps the first mentor of the classroom config (Hinton's KD)."""
    overrides = dict(overrides)
    if overrides.get('model.mentors') == 'teacher only':
        from mmengine.config import Config
        overrides['model.mentors'] = Config.fromfile(config).model.mentors[:1]
    return overrides


def report(results, seeds, train_images):
    """docs/results.md and the bar chart, from the recorded runs."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    table = {m: [results[run_name(m, s)] for s in seeds if run_name(m, s) in results]
             for m in METHODS}
    table = {m: accs for m, accs in table.items() if accs}
    lines = [f'Student ResNet-8 on CIFAR-10: {train_images} training images (class-balanced '
             f'subset), the full 10,000-image test set, {EPOCHS} epochs, seeds '
             f"{', '.join(map(str, seeds))}.", '',
             '| method | top-1 mean ± std (%) | per seed | vs AVER (paired) | vs NOKD (paired) |',
             '|---|---|---|---|---|']
    for method, accs in table.items():
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        paired = []
        for baseline in ('AVER', 'NOKD'):
            if baseline in table and method != baseline and len(table[baseline]) == len(accs):
                diffs = [a - b for a, b in zip(accs, table[baseline])]
                paired.append(', '.join(f'{d:+.2f}' for d in diffs) +
                              f' (mean {statistics.mean(diffs):+.2f})')
            else:
                paired.append('-')
        lines.append(f'| {method} | {statistics.mean(accs):.2f} ± {std:.2f} | '
                     f"{', '.join(f'{a:.2f}' for a in accs)} | {paired[0]} | {paired[1]} |")
    mentors = ', '.join(f'{m} {results[m]:.2f}' for m in MENTORS if m in results)
    lines += ['', f'Mentors trained alone (top-1 %): {mentors}.']
    figure, axes = plt.subplots(figsize=(8, 4))
    names = list(table)
    axes.bar(names, [statistics.mean(table[n]) for n in names],
             yerr=[statistics.stdev(table[n]) if len(table[n]) > 1 else 0 for n in names],
             capsize=4, color=['#888' if n in ('NOKD', 'KD', 'AVER') else '#2a7' for n in names])
    low = min(min(a) for a in table.values())
    axes.set(ylabel='top-1 (%)', ylim=(max(0, low - 5), None),
             title='ResNet-8 student on CIFAR-10 (mean ± std over seeds)')
    plt.setp(axes.get_xticklabels(), rotation=20, ha='right')
    figure.tight_layout()
    figure.savefig(osp.join('docs', 'cifar10_methods.png'), dpi=120)
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--train-per-class', type=int, default=200)
    parser.add_argument('--report-only', action='store_true',
                        help='write the report from the runs recorded so far, train nothing')
    args = parser.parse_args()
    os.chdir(REPO)
    import classroomkd_mm  # noqa: F401
    prepare('data/cifar10_bench', args.train_per_class, 1000)
    results = json.load(open(RESULTS)) if osp.isfile(RESULTS) else {}
    start = time.time()
    stages = [(arch, STANDALONE, dict(DATA, **{'model.arch': arch})) for arch in MENTORS]
    stages += [(run_name(m, seed), config, dict(resolve(config, o), **{'randomness.seed': seed}))
               for seed in args.seeds for m, (config, o) in METHODS.items()]
    for index, (name, config, overrides) in enumerate(stages, start=1):
        if name in results or args.report_only:
            continue
        print(f'[bench {index}/{len(stages)}, {time.time() - start:.0f} s] {name}', flush=True)
        results[name] = train_and_test(config, osp.join(WORK, name), overrides)
        os.makedirs(WORK, exist_ok=True)
        with open(RESULTS, 'w') as f:
            json.dump(results, f, indent=2)
    print(report(results, args.seeds, args.train_per_class * 10))


if __name__ == '__main__':
    main()
