"""ClassroomKD against its baselines on real CIFAR-10 with strong mentors; several seeds, resumable.

    python tools/benchmarks/cifar10_methods.py                 # CPU scale (2 CPU cores: about an hour)
    python tools/benchmarks/cifar10_methods.py --scale full    # all 50,000 training images (GPU)
    python tools/benchmarks/cifar10_methods.py --methods "per-sample KF" DTKD --rerun
    python tools/benchmarks/cifar10_methods.py --report-only   # docs from the runs so far

A ResNet-8 student learns from the shipped mentors (data/cifar10_mentors/, trained on all
of CIFAR-10) with every method, and is tested on all 10,000 test images:

- the clean classroom: the mentors of configs/cifar10/classroom_resnet8.py (the four
  strongest), every method of METHODS;
- the noisy classroom: the same four plus the weak mentors of WEAK_MENTORS, which this
  script first trains with tools/train_cifar10_mentor.py; NOISY_METHODS.

The student trains through ``ClassroomKDDistiller`` exactly as MMEngine's Runner drives it
(``model.train_step(data, optim_wrapper)``: data preprocessor, then ``loss``), with the
model, optimizer and schedule of the config, and is tested through its predict path.
Only the data path differs from the Runner's: the decoded images stay on the device as
one uint8 tensor, batches are drawn, cropped and flipped there
(tools/data/cifar10_tensors.py), and reach the data preprocessor as one stacked tensor
instead of a list. Every finished run is recorded in WORK_DIR/results.json and skipped
on the next call; the report (docs/results.md between its markers, and
docs/cifar10_methods_<scale>.png) is rewritten at the end.
"""
import argparse
import copy
import json
import os
import os.path as osp
import statistics
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [osp.join(REPO, 'tools'), osp.join(REPO, 'tools', 'data'),
                osp.join(REPO, 'tools', 'benchmarks')]
from cifar10_tensors import load_split, random_crop_flip  # noqa: E402
from seed_stats import mean_std, paired  # noqa: E402

CLASSROOM = 'configs/cifar10/classroom_resnet8.py'
SCALES = {  # training images per class, epochs
    'cpu': dict(train_per_class=150, epochs=12),
    'full': dict(train_per_class=5000, epochs=20),
}
# Weak mentors of the noisy classroom: trained here by tools/train_cifar10_mentor.py on the
# full training set.
WEAK_MENTORS = {
    'resnet14_1epoch': dict(arch='resnet14', epochs=1),
    'resnet14_wrong60': dict(arch='resnet14', epochs=2, wrong_label_fraction=0.6),
}
OFF = {'kf': dict(enabled=False), 'mentoring': dict(enabled=False), 'rank_weights': False}
# method -> changes to the classroom's model config; None is the student alone
METHODS = {
    'NOKD': None,
    'KD': dict(OFF, mentors='teacher only'),
    'AVER': OFF,
    'AVER α=λ': dict(OFF, distill_weight='λ'),
    'ClassroomKD': {},
    'KF off': {'kf': dict(enabled=False)},
    'Mentoring off': {'mentoring': dict(enabled=False)},
    'Method B': {'kf': dict(ranking='uniform')},
    'per-sample KF': {'kf': dict(granularity='sample')},
    'DTKD': {'mentoring': dict(mode='dtkd', base_temperature=4.0)},
    'official-code parity': {'official_code_parity': True},
}
NOISY_METHODS = ('AVER', 'AVER α=λ', 'KF off', 'ClassroomKD')
REPORT_START, REPORT_END = '<!-- cifar10_methods report: start -->', \
    '<!-- cifar10_methods report: end -->'


def machine(device: torch.device) -> str:
    if device.type == 'cuda':
        return f'{torch.cuda.get_device_name(device)} GPU'
    return f'{len(os.sched_getaffinity(0))}-core CPU container, no GPU'


def config():
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpretrain')
    return Config.fromfile(osp.join(REPO, CLASSROOM))


def model_config(cfg, method: str, mentors: list) -> dict:
    """The model of ``method``: the student alone, or the distiller with its changes."""
    changes = METHODS[method]
    if changes is None:
        return copy.deepcopy(cfg.model.student.to_dict())
    model = copy.deepcopy(cfg.model.to_dict())
    model['mentors'] = mentors[:1] if changes.get('mentors') == 'teacher only' else mentors
    for key, value in changes.items():
        if key == 'mentors':
            continue
        if value == 'λ':
            value = float(len(model['mentors']))
        model[key] = dict(model[key], **value) if isinstance(value, dict) else value
    return model


def build(cfg, model_cfg: dict, device: torch.device):
    """As MMEngine's Runner builds a model: the config's data preprocessor, then ``.to``."""
    from mmengine.registry import MODELS
    model_cfg = dict(model_cfg)
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor.to_dict())
    return MODELS.build(model_cfg).to(device)


def samples(labels: torch.Tensor) -> list:
    """A ``DataSample`` per label, its ``gt_label`` a 1-element view on the labels' device
    (a 0-dim tensor would be read back to the host)."""
    from mmpretrain.structures import DataSample
    return [DataSample().set_gt_label(label) for label in labels.split(1)]


@torch.no_grad()
def test_top1(model, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 500) -> float:
    """Top-1 (%) through the model's predict path (``test_step``), as a Runner tests it."""
    model.eval()
    correct = torch.zeros((), device=images.device)
    for start in range(0, len(images), batch_size):
        batch = slice(start, start + batch_size)
        predicted = model.test_step(dict(inputs=images[batch], data_samples=samples(labels[batch])))
        correct += (torch.cat([p.pred_label for p in predicted]) == labels[batch]).sum()
    return 100.0 * correct.item() / len(images)


def mentor_top1(cfg, spec: dict, test, device) -> float:
    from classroomkd_mm.checkpoint import load_mentor_weights
    model = build(cfg, spec['model'], device)
    load_mentor_weights(model, spec['checkpoint'], spec['name'])
    return test_top1(model, *test)


def train_student(cfg, model_cfg: dict, train, test, epochs: int, seed: int,
                  device: torch.device) -> dict:
    """One student run, as the Runner drives it: its top-1, and the classroom telemetry
    (ranks, temperatures, activation rates) averaged over all steps and per epoch."""
    from mmengine.optim import CosineAnnealingLR, build_optim_wrapper
    from mmengine.runner import set_random_seed
    set_random_seed(seed)
    model = build(cfg, model_cfg, device)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedule = CosineAnnealingLR(optim_wrapper, by_epoch=True, T_max=epochs)
    images, labels = train
    batch_size = cfg.train_dataloader.batch_size
    generator = torch.Generator(device).manual_seed(seed)
    per_epoch = []
    for _ in range(epochs):
        model.train()
        sums, steps = {}, 0
        order = torch.randperm(len(images), device=device, generator=generator)
        for batch in order.split(batch_size):
            data = dict(inputs=random_crop_flip(images[batch], generator),
                        data_samples=samples(labels[batch]))
            log_vars = model.train_step(data, optim_wrapper)
            for key, value in log_vars.items():
                if key.split('/')[0] in ('rank', 'active', 'temp'):
                    sums[key] = sums.get(key, 0) + value.detach()
            steps += 1
        schedule.step()
        # active/<name> averaged over steps is the log processor's active_rate/<name>
        per_epoch.append({key.replace('active/', 'active_rate/'): float(total) / steps
                          for key, total in sums.items()})
    telemetry = {key: statistics.mean(epoch[key] for epoch in per_epoch)
                 for key in per_epoch[0]}
    return dict(top1=test_top1(model, *test), telemetry=telemetry, per_epoch=per_epoch)


def weak_mentor(name: str, work_dir: str, device, train_per_class=None) -> dict:
    """Train a weak mentor (once) with tools/train_cifar10_mentor.py; its mentor spec."""
    from train_cifar10_mentor import train
    recipe = WEAK_MENTORS[name]
    path = osp.join(work_dir, 'mentors', f'{name}.pth')
    if not osp.isfile(path):
        options = {k: v for k, v in recipe.items() if k != 'arch'}
        train(recipe['arch'], path, device=str(device), train_per_class=train_per_class,
              test_per_class=train_per_class, **options)
    return dict(name=name, model=dict(type='CifarClassifier', arch=recipe['arch'], num_classes=10),
                checkpoint=path)


def run_key(scale: str, classroom: str, method: str, seed: int) -> str:
    return f'{scale}/{classroom}/{method}/seed{seed}'


def parse_key(key: str):
    scale, classroom, method, seed = key.split('/')
    return scale, classroom, method, int(seed[len('seed'):])


# ----------------------------------------------------------------------------- report


def accuracy_table(runs: dict, nokd: dict, clean: dict = None) -> list:
    """Markdown rows: method, mean ± std, per seed, paired against AVER and NOKD (and, for
    the noisy classroom, against the same method in the clean classroom).

    ``runs`` and ``clean`` map method -> {seed: top-1}; ``nokd`` is {seed: top-1}."""
    columns = ['method', 'top-1 mean ± std (%)', 'per seed', 'vs AVER (paired)',
               'vs NOKD (paired)'] + (['vs the clean classroom (paired)'] if clean else [])
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]
    for method, accs in runs.items():
        mean, std = mean_std(list(accs.values()))
        cells = [method, f'{mean:.2f} ± {std:.2f}', ', '.join(f'{accs[s]:.2f}' for s in sorted(accs)),
                 paired(accs, runs.get('AVER', {})) if method != 'AVER' else '-',
                 paired(accs, nokd) if method != 'NOKD' else '-']
        if clean:
            cells.append(paired(accs, clean.get(method, {})))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def activation_table(runs: dict, mentors: dict) -> list:
    """Each mentor's share of steps in which it taught, per KF method (mean over seeds)."""
    methods = [m for m in runs if any(k.startswith('active_rate/') for r in runs[m].values()
                                      for k in r['telemetry'])
               and METHODS[m].get('kf', {}).get('enabled', True)]
    lines = ['| mentor | top-1 (%) | ' + ' | '.join(f'taught under {m} (per seed)'
                                                   for m in methods) + ' |',
             '|---|---|' + '---|' * len(methods)]
    for name, top1 in mentors.items():
        cells = []
        for method in methods:
            rates = [runs[method][s]['telemetry'].get(f'active_rate/{name}')
                     for s in sorted(runs[method])]
            rates = [r for r in rates if r is not None]
            cells.append(f"{100 * statistics.mean(rates):.0f} % "
                         f"({', '.join(f'{100 * r:.0f}' for r in rates)})" if rates else '-')
        lines.append(f'| {name} | {top1:.2f} | ' + ' | '.join(cells) + ' |')
    return lines


def bar_chart(panels: list, path: str, nokd_runs: dict) -> None:
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


def epochs(setup: dict) -> str:
    return f"{setup['epochs']} epoch{'s' if setup['epochs'] > 1 else ''}"


def any_run(runs: dict) -> dict:
    """One run of ``{method: {seed: run}}``."""
    return next(run for seeds in runs.values() for run in seeds.values())


def top1s(runs: dict) -> dict:
    """``{method: {seed: run}}`` -> ``{method: {seed: top-1}}``, methods in METHODS order."""
    return {m: {seed: run['top1'] for seed, run in runs[m].items()} for m in METHODS if m in runs}


def report(results: dict, docs: str) -> str:
    """The markdown of every recorded scale and classroom; draws docs/cifar10_methods_*.png."""
    by_scale = {}
    for key, run in results['runs'].items():
        scale, classroom, method, seed = parse_key(key)
        by_scale.setdefault(scale, {}).setdefault(classroom, {}).setdefault(
            method, {})[seed] = run
    lines = []
    for scale, classrooms in sorted(by_scale.items()):
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


def write_report(results: dict, docs: str) -> str:
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


# ----------------------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scale', choices=SCALES, default=None,
                        help='cpu (default without CUDA): 150 images per class, 12 epochs; '
                        'full (default with CUDA): all 50,000, 20 epochs')
    parser.add_argument('--classroom', choices=('clean', 'noisy'), nargs='+',
                        default=['clean', 'noisy'])
    parser.add_argument('--methods', nargs='+', choices=METHODS, default=list(METHODS))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--rerun', action='store_true',
                        help='train the selected runs again even if recorded')
    parser.add_argument('--report-only', action='store_true',
                        help='write the report from the runs recorded so far, train nothing')
    parser.add_argument('--device', default=None, help='default: cuda if available, else cpu')
    parser.add_argument('--slice', type=int, default=None, metavar='N',
                        help='a quick end-to-end check: N images per class for everything '
                        '(students, tests, weak mentors), one epoch')
    parser.add_argument('--work-dir', default=None,
                        help='default: work_dirs/cifar10_methods, or ..._slice with --slice '
                        '(so that its weak mentors never stand in for the real ones)')
    parser.add_argument('--docs', default='docs', help='where results.md and the chart are')
    args = parser.parse_args()
    args.work_dir = args.work_dir or ('work_dirs/cifar10_methods' + ('_slice' if args.slice
                                                                     else ''))
    os.chdir(REPO)
    results_path = osp.join(args.work_dir, 'results.json')
    results = json.load(open(results_path)) if osp.isfile(results_path) else dict(
        mentors={}, runs={})
    if not args.report_only:
        run(args, results, results_path)
    print(write_report(results, args.docs))


def run(args, results: dict, results_path: str) -> None:
    from mmengine.logging import MMLogger
    MMLogger.get_instance('cifar10_methods', log_level='WARNING')  # no init_weights listing
    device = torch.device(args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    scale = args.scale or ('full' if device.type == 'cuda' else 'cpu')
    per_class, epochs = SCALES[scale]['train_per_class'], SCALES[scale]['epochs']
    test_per_class = None
    if args.slice:  # recorded apart from the real scales
        scale, per_class, test_per_class, epochs = f'{scale}-slice', args.slice, args.slice, 1
    cfg = config()
    train = tuple(t.to(device) for t in load_split('train', per_class))
    test = tuple(t.to(device) for t in load_split('test', test_per_class))
    clean = [m.to_dict() for m in cfg.model.mentors]
    classrooms = {'clean': clean}
    if 'noisy' in args.classroom:
        classrooms['noisy'] = clean + [weak_mentor(name, args.work_dir, device, args.slice)
                                       for name in WEAK_MENTORS]

    def save():
        os.makedirs(args.work_dir, exist_ok=True)
        with open(results_path, 'w') as f:
            json.dump(results, f, indent=1)

    for spec in classrooms.get('noisy', clean):
        if spec['name'] not in results['mentors']:
            results['mentors'][spec['name']] = dict(top1=mentor_top1(cfg, spec, test, device),
                                                    machine=machine(device))
            save()
    plan = [(classroom, method, seed) for classroom in args.classroom for seed in args.seeds
            for method in args.methods if classroom == 'clean' or method in NOISY_METHODS]
    start = time.time()
    for index, (classroom, method, seed) in enumerate(plan, start=1):
        key = run_key(scale, classroom, method, seed)
        if key in results['runs'] and not args.rerun:
            continue
        print(f'[{index}/{len(plan)}, {time.time() - start:.0f} s] {key}', flush=True)
        mentors = classrooms[classroom]
        began = time.time()
        outcome = train_student(cfg, model_config(cfg, method, mentors), train, test, epochs,
                                seed, device)
        outcome['seconds'] = round(time.time() - began, 1)
        outcome['setup'] = dict(train_images=len(train[0]), test_images=len(test[0]),
                                epochs=epochs, batch_size=cfg.train_dataloader.batch_size,
                                machine=machine(device), torch=torch.__version__,
                                mentors=[m['name'] for m in mentors])
        results['runs'][key] = outcome
        save()
        print(f"  top-1 {outcome['top1']:.2f} % in {outcome['seconds']:.0f} s", flush=True)


if __name__ == '__main__':
    main()
