"""Per-step time and autograd memory of ClassroomKD against its baselines, on one machine: the
benchmark of ``tools/benchmarks/step_time.py``.

The paper's CIFAR classroom (ResNet-20 student; ResNet-110 teacher; ResNet-8, ResNet-14,
ShuffleNetV2, MobileNetV2 and ShuffleNetV1 peers; 100 classes, 32x32 inputs). Every variant
runs one MMEngine training step, ``model.train_step(data, optim_wrapper)`` with an
``OptimWrapper`` over SGD (lr 0.01): the Runner's code path (data preprocessor, loss,
``parse_losses``, ``update_params``), on the same batch, already on the device as a
dataloader's batch would be after its copy. "student alone" is the student's own step, the
baseline of the goal that mentors cost almost nothing. The variants are interleaved, in a new
order every repetition; each reports its median, and each ratio is the median of its
per-repetition ratios. "Autograd memory" is the bytes of tensors saved for backward during
the step. On CUDA, times come from CUDA events, the highest peak memory of each variant's
steps is reported, and the CUDA-graph variants and their targets are added (on the CPU they
are listed as CUDA only). Host syncs are counted in one more, untimed loss of each variant
(see :func:`counting_host_syncs`); the ClassroomKD variants must have none.
"""
import os
import os.path as osp
import random
import statistics
import tempfile
import time
import warnings
from contextlib import contextmanager
from functools import partial
from typing import Dict, List, NamedTuple, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import MODELS, init_default_scope

from ..engine.config_files import read_config
from .methods import configs_dir, method_config

# The paper's CIFAR-100 classroom: ResNet-20 student, ResNet-110 teacher, five peers.
CLASSROOM = osp.join(configs_dir(), 'cifar100', 'classroom_resnet20_resnet110.py')
AUTHORS = "authors'-style loop"
CUDA_GRAPH_ROWS = ('AVER, fast path fp32 + CUDA graph', 'ClassroomKD, fast path fp32 + CUDA graph')


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
    """The model of ``method`` (experiments.methods; NOKD: the student alone) on the classroom,
    with ``options``, and the config's data preprocessor, as the Runner builds it."""
    model = method_config(cfg, method).model.to_dict()
    torch.manual_seed(100)  # the same student weights in every variant
    return MODELS.build(dict(model, data_preprocessor=cfg.data_preprocessor.to_dict(),
                             **options))


@contextmanager
def saved_tensor_bytes(counter):
    """Add to ``counter[0]`` the bytes of the tensors autograd saves while the block runs."""
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
    """Milliseconds ``fn()`` takes: CUDA events on CUDA, the wall clock on the CPU."""

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


class StepTimes(NamedTuple):
    """What :func:`measure` measured, by variant (times: ms, per repetition; bytes)."""
    device: torch.device
    batch: int
    times: Dict[str, List[float]]
    autograd_bytes: Dict[str, int]
    cuda_peak_bytes: Dict[str, int]
    host_syncs: Dict[str, int]


def training_batch(batch: int, device: torch.device) -> dict:
    """A dataloader's batch of random 32x32 images and CIFAR-100 labels, already on the
    device (the copy is the same for every variant, so it is not timed)."""
    from mmpretrain.structures import DataSample
    labels = torch.randint(0, 100, (batch,))
    return dict(inputs=torch.randint(0, 256, (batch, 3, 32, 32), dtype=torch.uint8,
                                     device=device),
                data_samples=[DataSample().set_gt_label(int(y)).to(device) for y in labels])


def sgd(model) -> OptimWrapper:
    """The optimizer every variant steps with."""
    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))


def measure(device: torch.device, batch: int = 64, reps: int = 15, warmup: int = 3,
            with_compile: bool = False, mentors: Optional[Sequence[str]] = None) -> StepTimes:
    """Time every variant's step on the classroom of ``mentors`` (teacher first; default: the
    paper's six), ``warmup`` + ``reps`` interleaved repetitions; ``with_compile`` adds the
    fast path with torch.compile."""
    init_default_scope('mmpretrain')
    names = mentors or [m.name for m in read_config(CLASSROOM).model.mentors]
    cfg = classroom(tempfile.mkdtemp(), names)
    low_precision = 'bfloat16' if device.type == 'cpu' else 'float16'
    graphed = dict(cuda_graph=True)
    models = {
        'student alone': distiller(cfg, 'NOKD'),
        'KD (teacher)': distiller(cfg, 'KD'),
        'AVER': distiller(cfg, 'AVER'),
        'ClassroomKD': distiller(cfg),
        'ClassroomKD, per-sample': distiller(cfg, 'per-sample KF'),
        'ClassroomKD, fast path fp32': distiller(cfg, mentor_fast_path=dict()),
        f'ClassroomKD, fast path {low_precision}': distiller(
            cfg, mentor_fast_path=dict(dtype=low_precision)),
    }
    if with_compile:
        models['ClassroomKD, fast path fp32 + compile'] = distiller(
            cfg, mentor_fast_path=dict(compile=True))
    if device.type == 'cuda':
        models.update({
            CUDA_GRAPH_ROWS[0]: distiller(cfg, 'AVER', mentor_fast_path=graphed),
            CUDA_GRAPH_ROWS[1]: distiller(cfg, mentor_fast_path=graphed),
            f'ClassroomKD, fast path {low_precision} + CUDA graph': distiller(
                cfg, mentor_fast_path=dict(graphed, dtype=low_precision)),
        })
    for model in models.values():
        model.to(device).train()
    reference = models['ClassroomKD']

    data = training_batch(batch, device)
    labels = torch.stack([sample.gt_label for sample in data['data_samples']]).view(-1)
    processed = reference.data_preprocessor(data, True)  # every variant's preprocessor alike
    eager_mentors = list(reference.mentors.values())
    # variant -> its loss, from the preprocessed batch
    losses = {name: partial(model, mode='loss') for name, model in models.items()}
    losses[AUTHORS] = lambda inputs, data_samples: authors_style_loss(
        reference.student, eager_mentors, inputs, labels)

    steps = {name: (lambda m=model, w=sgd(model): m.train_step(data, w))
             for name, model in models.items()}
    # The authors' hand loop, reproduced on purpose for comparison: only its update is MMEngine's.
    authors_wrapper = sgd(reference.student)
    steps[AUTHORS] = lambda: authors_wrapper.update_params(
        losses[AUTHORS](**reference.data_preprocessor(data, True)))
    autograd_bytes = {}

    def counting_autograd(name, step):
        def counted():
            counter = [0]
            with saved_tensor_bytes(counter):
                step()
            autograd_bytes[name] = counter[0]
        return counted

    steps = {name: counting_autograd(name, step) for name, step in steps.items()}
    inputs = processed['inputs']
    for name, mentor in reference.mentors.items():
        steps[f'mentor forward: {name}'] = (
            lambda m=mentor: torch.no_grad()(lambda: m(inputs, mode='tensor'))())
    if device.type == 'cuda':  # the six mentors' forwards alone, by path
        for path in ('eager', 'fast path fp32', 'fast path fp32 + CUDA graph',
                     f'fast path {low_precision} + CUDA graph'):
            model = models['ClassroomKD' if path == 'eager' else f'ClassroomKD, {path}']
            steps[f'all mentor forwards: {path}'] = (
                lambda m=model: m.mentor_outputs(inputs, processed['data_samples']))

    timer = Timer(device)
    times = {name: [] for name in steps}
    cuda_peak = {}
    for rep in range(warmup + reps):
        # interleaved, in a new (seeded) order every repetition
        for name in random.Random(rep).sample(list(steps), len(steps)):
            if device.type == 'cuda':
                torch.cuda.reset_peak_memory_stats()
                resting = torch.cuda.memory_allocated()
            elapsed = timer(steps[name])
            if device.type == 'cuda':
                cuda_peak[name] = max(cuda_peak.get(name, 0),
                                      torch.cuda.max_memory_allocated() - resting)
            if rep >= warmup:
                times[name].append(elapsed)
    host_syncs = {}
    for name, loss in losses.items():  # once more, untimed, counting
        counter = [0]
        with counting_host_syncs(device, counter):
            loss(**processed)
        host_syncs[name] = counter[0]
    return StepTimes(device, batch, times, autograd_bytes, cuda_peak, host_syncs)


def report(result: StepTimes) -> str:
    """The device line, then Markdown tables of the variants and of the targets."""
    times, memory, host_syncs = result.times, result.autograd_bytes, result.host_syncs
    reps = len(times['student alone'])
    on_cuda = result.device.type == 'cuda'
    lines = [f'device: {describe_device(result.device)}; batch {result.batch}, median of '
             f'{reps} reps, torch {torch.__version__}\n',
             '| variant | step (ms) | autograd memory (MB) | peak memory above resting (MB) '
             '| host syncs in the loss |\n|---|---|---|---|---|']
    for name, values in times.items():
        mb = f'{memory[name] / 2 ** 20:.1f}' if name in memory else '-'
        peak = (f'{result.cuda_peak_bytes[name] / 2 ** 20:.1f}'
                if name in result.cuda_peak_bytes else '- (CUDA only)')
        lines.append(f'| {name} | {statistics.median(values):.1f} | {mb} | {peak} '
                     f'| {host_syncs.get(name, "-")} |')
    if not on_cuda:
        lines += [f'| {name} | - (CUDA only) | - | - | - |' for name in CUDA_GRAPH_ROWS]

    times = dict(times, floor=[times['student alone'][rep] + sum(
        values[rep] for name, values in times.items() if name.startswith('mentor forward'))
        for rep in range(reps)])

    def paired(numerator, denominator):
        """Median of the per-repetition ratios: the variants of one repetition ran
        back to back, so slow drifts of the machine cancel."""
        return statistics.median(a / b for a, b in zip(times[numerator], times[denominator]))

    def graphed(numerator, denominator):
        return paired(numerator, denominator) if on_cuda else None

    aver_graph, graph_path = CUDA_GRAPH_ROWS
    ratios = [
        ('ClassroomKD / AVER', paired('ClassroomKD', 'AVER'), 1.02),
        (f'ClassroomKD fast path fp32 / {AUTHORS}',
         paired('ClassroomKD, fast path fp32', AUTHORS), 0.70),
        ('ClassroomKD / (student step + sum of mentor forwards)',
         paired('ClassroomKD', 'floor'), 1.10),
        ('ClassroomKD fast path fp32 / student alone',
         paired('ClassroomKD, fast path fp32', 'student alone'), None),
        ('ClassroomKD / AVER, both fast path fp32 + CUDA graph',
         graphed(graph_path, aver_graph), 1.02),
        (f'ClassroomKD fast path fp32 + CUDA graph / {AUTHORS}', graphed(graph_path, AUTHORS),
         0.40),
        ('ClassroomKD fast path fp32 + CUDA graph / student alone (stretch: overlap)',
         graphed(graph_path, 'student alone'), 1.5),
        ('ClassroomKD autograd memory / student alone',
         memory['ClassroomKD'] / memory['student alone'], None),
        ('host syncs in every ClassroomKD variant', sum(
            count for name, count in host_syncs.items() if name.startswith('ClassroomKD')), 0),
    ]
    lines.append('\n| ratio | measured | target |\n|---|---|---|')
    for name, value, target in ratios:
        shown = '- (CUDA only)' if value is None else (
            f'{value:.3f}' if isinstance(value, float) else value)
        verdict = '' if target is None or value is None else (
            ' (met)' if value <= target else ' (missed)')
        lines.append(f"| {name} | {shown} | {'-' if target is None else f'<= {target}'}"
                     f'{verdict} |')
    return '\n'.join(lines)
