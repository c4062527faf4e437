"""Per-step time and autograd memory of ClassroomKD against its baselines, on one machine.

    python tools/benchmarks/step_time.py [--device cpu|cuda] [--batch 64] [--reps 15] [--compile]
                                         [--mentors resnet110,resnet8,...]

The paper's CIFAR classroom (ResNet-20 student; ResNet-110 teacher; ResNet-8,
ResNet-14, ShuffleNetV2, MobileNetV2 and ShuffleNetV1 peers; 100 classes,
32x32 inputs). Every variant runs one full training step (forward, backward,
SGD update) on the same batch; "student alone" is the student's own step, the
baseline of the goal that mentors cost almost nothing. The variants are
interleaved, in a new order every repetition; each reports its median, and
each ratio is the median of its per-repetition ratios. "Autograd memory" is
the bytes of tensors saved for backward during the step. On CUDA, times come
from CUDA events, the highest peak memory of each variant's steps is
reported, and the CUDA-graph variants and their targets are added (on the CPU
they are listed as CUDA only). Host syncs are counted in one more, untimed
loss of each variant (see :func:`counting_host_syncs`); the ClassroomKD
variants must have none. Prints the device, then Markdown tables of the
variants and of the targets.
"""
import argparse
import os
import os.path as osp
import random
import statistics
import tempfile
import time
import warnings
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import classroomkd_mm  # noqa: F401
from classroomkd_mm.engine.config_files import read_config
from classroomkd_mm.experiments.methods import configs_dir, method_config

# The paper's CIFAR-100 classroom: ResNet-20 student, ResNet-110 teacher, five peers.
CLASSROOM = osp.join(configs_dir(), 'cifar100', 'classroom_resnet20_resnet110.py')


def classroom(folder: str, names) -> Config:
    """The classroom config with the mentors ``names`` (teacher first), each with seeded
    random weights saved in ``folder``, so that every variant loads the same ones."""
    cfg = read_config(CLASSROOM)
    specs = {spec.name: spec for spec in cfg.model.mentors}
    mentors = []
    for seed, name in enumerate(names):
        torch.manual_seed(seed)
        path = osp.join(folder, f'{name}.pth')
        torch.save(dict(state_dict=MODELS.build(specs[name].model).state_dict()), path)
        mentors.append(dict(specs[name].to_dict(), checkpoint=path))
    cfg.model.mentors = mentors
    return cfg


def distiller(cfg: Config, method: str = 'ClassroomKD', **options):
    """The distiller of ``method`` (experiments.methods) on the classroom, with ``options``."""
    model = method_config(cfg, method).model.to_dict()
    torch.manual_seed(100)  # the same student weights in every variant
    return MODELS.build(dict(model, **options))


@contextmanager
def saved_tensor_bytes(counter):
    def pack(tensor):
        counter[0] += tensor.numel() * tensor.element_size()
        return tensor
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        yield


HOST_READS = ('item', 'tolist', '__bool__', '__float__', '__int__')
# What PyTorch's sync debug mode warns for each sync; it also warns, once, that the
# mode itself "is a prototype feature", which is not a sync.
SYNC_WARNING = 'called a synchronizing CUDA operation'


def is_a_sync(message: str) -> bool:
    return SYNC_WARNING in message


@contextmanager
def counting_host_syncs(device, counter):
    """Count host syncs while the block runs: on CUDA, the sync warnings of PyTorch's sync
    debug mode. On the CPU, where nothing waits, the reads of tensor values into Python
    (``.item()``, ``.tolist()``, ``bool()``...): a lower bound, since ops whose output
    shape depends on values (``nonzero``, boolean masks) also sync a GPU."""
    if device.type == 'cuda':
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            torch.cuda.set_sync_debug_mode('warn')
            try:
                yield
            finally:
                torch.cuda.set_sync_debug_mode('default')
        counter[0] += sum(is_a_sync(str(w.message)) for w in caught)
        return
    originals = {name: getattr(torch.Tensor, name) for name in HOST_READS}
    own = {name for name in HOST_READS if name in vars(torch.Tensor)}

    def counted(original):
        def read(*args, **kwargs):
            counter[0] += 1
            return original(*args, **kwargs)
        return read

    for name, original in originals.items():
        setattr(torch.Tensor, name, counted(original))
    try:
        yield
    finally:
        for name, original in originals.items():
            if name in own:
                setattr(torch.Tensor, name, original)
            else:  # inherited from the C base class: unshadow it
                delattr(torch.Tensor, name)


class Timer:
    def __init__(self, device):
        self.device = device

    def __call__(self, fn):
        if self.device.type == 'cuda':
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            return start.elapsed_time(end)
        begin = time.perf_counter()
        fn()
        return (time.perf_counter() - begin) * 1000


def authors_style_loss(student, mentors, inputs, labels, base_temperature=12.0):
    """An eager reference written after the authors' loop: mentors one by one, a host
    sync (``.item()``) per ranking value, Python-side ranking, and the teacher's KL
    computed twice (once as plain KD, once inside the classroom sum)."""
    student_logits = student(inputs, mode='tensor')
    with torch.no_grad():
        mentor_logits = [mentor(inputs, mode='tensor') for mentor in mentors]
    weights = [torch.exp(-F.cross_entropy(z, labels)).item()
               for z in [student_logits] + mentor_logits]
    total = sum(weights)
    ranks = [len(mentors) * round(w / total, 2) for w in weights]

    def kl(z, tau):
        return F.kl_div(F.log_softmax(student_logits / tau, -1), F.softmax(z / tau, -1),
                        reduction='batchmean') * tau ** 2

    loss = ranks[0] * F.cross_entropy(student_logits, labels) + kl(mentor_logits[0], 4.0) * 0
    for rank, z in zip(ranks[1:], mentor_logits):
        if rank >= ranks[0]:
            tau = 1 + base_temperature * abs(rank - ranks[0]) / max(rank, ranks[0])
            loss = loss + rank * kl(z, tau)
    return loss


def describe_device(device) -> str:
    if device.type == 'cuda':
        return f'{torch.cuda.get_device_name(device)} ({device})'
    return f'CPU, {os.cpu_count()} cores visible, torch on {torch.get_num_threads()} threads'


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
    device = torch.device(args.device)
    init_default_scope('mmpretrain')
    names = [m.name for m in read_config(CLASSROOM).model.mentors]
    cfg = classroom(tempfile.mkdtemp(), args.mentors.split(',') if args.mentors else names)
    low_precision = 'bfloat16' if device.type == 'cpu' else 'float16'
    graphed = dict(cuda_graph=True)
    models = {
        'KD (teacher)': distiller(cfg, 'KD'),
        'AVER': distiller(cfg, 'AVER'),
        'ClassroomKD': distiller(cfg),
        'ClassroomKD, per-sample': distiller(cfg, 'per-sample KF'),
        'ClassroomKD, fast path fp32': distiller(cfg, mentor_fast_path=dict()),
        f'ClassroomKD, fast path {low_precision}': distiller(
            cfg, mentor_fast_path=dict(dtype=low_precision)),
    }
    if args.compile:
        models['ClassroomKD, fast path fp32 + compile'] = distiller(
            cfg, mentor_fast_path=dict(compile=True))
    cuda_only = {
        'AVER, fast path fp32 + CUDA graph': distiller(cfg, 'AVER', mentor_fast_path=graphed),
        'ClassroomKD, fast path fp32 + CUDA graph': distiller(cfg, mentor_fast_path=graphed),
        f'ClassroomKD, fast path {low_precision} + CUDA graph': distiller(
            cfg, mentor_fast_path=dict(graphed, dtype=low_precision)),
    } if device.type == 'cuda' else {}
    models.update(cuda_only)
    for model in models.values():
        model.to(device).train()
    reference = models['ClassroomKD']
    torch.manual_seed(100)
    student = MODELS.build(cfg.model.student).to(device).train()

    inputs = torch.randn(args.batch, 3, 32, 32, device=device)
    labels = torch.randint(0, 100, (args.batch,), device=device)
    from mmpretrain.structures import DataSample
    # on the device already, as MMEngine's data preprocessor leaves them
    samples = [DataSample().set_gt_label(int(y)).to(device) for y in labels.cpu()]
    timer = Timer(device)
    memory = {}

    def total(losses):
        return sum(value for key, value in losses.items() if 'loss' in key)

    eager_mentors = list(reference.mentors.values())
    # variant -> (its loss for the batch, the student it trains)
    variants = {'student alone': (lambda: total(student.loss(inputs, samples)), student)}
    variants.update({name: (lambda m=model: total(m(inputs, samples, mode='loss')), model.student)
                     for name, model in models.items()})
    variants["authors'-style loop"] = (
        lambda: authors_style_loss(reference.student, eager_mentors, inputs, labels),
        reference.student)

    def training_step(name, loss_fn, trained):
        optimizer = torch.optim.SGD(trained.parameters(), lr=0.01)

        def step():
            counter = [0]
            with saved_tensor_bytes(counter):
                loss = loss_fn()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            memory[name] = counter[0]
        return step

    steps = {name: training_step(name, *variant) for name, variant in variants.items()}
    for name, mentor in reference.mentors.items():
        steps[f'mentor forward: {name}'] = (
            lambda m=mentor: torch.no_grad()(lambda: m(inputs, mode='tensor'))())
    if cuda_only:  # the six mentors' forwards alone, by path
        for path in ('eager', 'fast path fp32', 'fast path fp32 + CUDA graph',
                     f'fast path {low_precision} + CUDA graph'):
            model = models['ClassroomKD' if path == 'eager' else f'ClassroomKD, {path}']
            steps[f'all mentor forwards: {path}'] = (
                lambda m=model: m.mentor_outputs(inputs, samples))

    times = {name: [] for name in steps}
    cuda_peak = {}
    for rep in range(args.warmup + args.reps):
        # interleaved, in a new (seeded) order every repetition
        for name in random.Random(rep).sample(list(steps), len(steps)):
            if device.type == 'cuda':
                torch.cuda.reset_peak_memory_stats()
                resting = torch.cuda.memory_allocated()
            elapsed = timer(steps[name])
            if device.type == 'cuda':
                cuda_peak[name] = max(cuda_peak.get(name, 0),
                                      torch.cuda.max_memory_allocated() - resting)
            if rep >= args.warmup:
                times[name].append(elapsed)
    median = {name: statistics.median(values) for name, values in times.items()}
    host_syncs = {}
    for name, (loss_fn, _) in variants.items():  # once more, untimed, counting
        counter = [0]
        with counting_host_syncs(device, counter):
            loss_fn()
        host_syncs[name] = counter[0]

    print(f'device: {describe_device(device)}; batch {args.batch}, median of {args.reps} '
          f'reps, torch {torch.__version__}\n')
    print('| variant | step (ms) | autograd memory (MB) | peak memory above resting (MB) '
          '| host syncs in the loss |\n|---|---|---|---|---|')
    for name, value in median.items():
        mb = f'{memory[name] / 2 ** 20:.1f}' if name in memory else '-'
        peak = f'{cuda_peak[name] / 2 ** 20:.1f}' if name in cuda_peak else '- (CUDA only)'
        print(f'| {name} | {value:.1f} | {mb} | {peak} | {host_syncs.get(name, "-")} |')
    if not cuda_only:
        for name in ('AVER, fast path fp32 + CUDA graph',
                     'ClassroomKD, fast path fp32 + CUDA graph'):
            print(f'| {name} | - (CUDA only) | - | - | - |')

    times['floor'] = [times['student alone'][rep] + sum(
        values[rep] for name, values in times.items() if name.startswith('mentor forward'))
        for rep in range(args.reps)]

    def paired(numerator, denominator):
        """Median of the per-repetition ratios: the variants of one repetition ran
        back to back, so slow drifts of the machine cancel."""
        return statistics.median(a / b for a, b in zip(times[numerator], times[denominator]))

    def graphed(numerator, denominator):
        return paired(numerator, denominator) if cuda_only else None

    graph_path = 'ClassroomKD, fast path fp32 + CUDA graph'
    ratios = [
        ('ClassroomKD / AVER', paired('ClassroomKD', 'AVER'), 1.02),
        ("ClassroomKD fast path fp32 / authors'-style loop",
         paired('ClassroomKD, fast path fp32', "authors'-style loop"), 0.70),
        ('ClassroomKD / (student step + sum of mentor forwards)',
         paired('ClassroomKD', 'floor'), 1.10),
        ('ClassroomKD fast path fp32 / student alone',
         paired('ClassroomKD, fast path fp32', 'student alone'), None),
        ('ClassroomKD / AVER, both fast path fp32 + CUDA graph',
         graphed(graph_path, 'AVER, fast path fp32 + CUDA graph'), 1.02),
        ("ClassroomKD fast path fp32 + CUDA graph / authors'-style loop",
         graphed(graph_path, "authors'-style loop"), 0.40),
        ('ClassroomKD fast path fp32 + CUDA graph / student alone (stretch: overlap)',
         graphed(graph_path, 'student alone'), 1.5),
        ('ClassroomKD autograd memory / student alone',
         memory['ClassroomKD'] / memory['student alone'], None),
        ('host syncs in every ClassroomKD variant', sum(
            count for name, count in host_syncs.items() if name.startswith('ClassroomKD')), 0),
    ]
    print('\n| ratio | measured | target |\n|---|---|---|')
    for name, value, target in ratios:
        shown = '- (CUDA only)' if value is None else (
            f'{value:.3f}' if isinstance(value, float) else value)
        verdict = '' if target is None or value is None else (
            ' (met)' if value <= target else ' (missed)')
        print(f"| {name} | {shown} | {'-' if target is None else f'<= {target}'}{verdict} |")


if __name__ == '__main__':
    main()
