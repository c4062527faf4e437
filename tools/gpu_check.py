"""The CUDA check of classroomkd_mm, end to end, in one run (issue 22).

    bash tools/gpu_check_prepare.sh [--slim | --restore]   # here: fill .gpu_carry/, check the size
    bash tools/gpu_check.sh [--out DIR] [--work DIR] [--only STAGE,...] [--budget SECONDS]
    bash tools/gpu_check.sh --dry-run                      # the same stages on the CPU, tiny

Stages, in order, each with a time budget (the whole run ends within ``--budget``,
470 s by default, so that it ends within 8 minutes of the device machine's start):

* ``install``: the carried wheels (``.gpu_carry/wheels``), then mmcv with its CPU ops and
  xtcocotools built there from the carried sdists (``.gpu_carry/sdist``), side by side,
  and this package in editable mode. Each step is timed.
* ``tests``: the suite's CUDA-only tests (``tests/test_fast_path_cuda_graph.py`` and the
  ``*_on_cuda`` tests of ``tests/test_distiller_devices.py``, whose loss paths run under
  ``torch.cuda.set_sync_debug_mode('error')``).
* ``step``: ``tools/benchmarks/step_time.py`` (with its CUDA-graph rows on CUDA), its tables
  as JSON, the targets of issues 12 and 22 as pass/fail fields, and a ``torch.profiler``
  trace of the ClassroomKD CUDA-graph step when a target is missed (always in a dry run).
* ``pose``: both LSP classrooms and their NOKD students through ``tools/train.py``: plain,
  ``--amp``, with the mentor fast path and CUDA graphs, and through
  ``tools/dist_train.sh CONFIG 1`` (NCCL on CUDA); iterations per second against NOKD.

Every figure lands in the output folder (``--out``, else ``$OUT``, else
``WORK/out``) as ``gpu_check.json`` and as markdown rows for ``docs/results.md`` in
``gpu_check.md``, rewritten after each stage and each pose run, with the full log in
``gpu_check.log`` (at most 5 files in all: the device returns 8).

``--dry-run`` runs the same stages on the CPU at tiny sizes (install skipped; the
CUDA-only tests skip; 3 of the 12 pose runs, one of each launch mode, on the 60-image
``data/lsp_slice``); ``tests/test_tools_gpu_check.py`` runs it. Only the standard library is
imported here: everything that needs torch runs in a subprocess, after the install.
"""
import argparse
import glob
import gzip
import json
import os
import os.path as osp
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CARRY = '.gpu_carry'
STAGES = ('install', 'tests', 'step', 'pose')
# Nominal seconds per stage on the device; a stage that ends early leaves its time to the
# later ones (see Budget). The four add up to the default --budget.
NOMINAL = dict(install=170, tests=55, step=75, pose=170)
TRAVEL_LIMIT = 64 * 2 ** 20  # what the device call carries: tracked + untracked + carry
OUTPUT_FILES = ('gpu_check.json', 'gpu_check.md', 'gpu_check.log', 'step_profile.json.gz')

# Wheels carried to the device: what the stack imports and its image lacks (its package
# list: /work/.library/device/KINDS.md). Versions come from requirements/constraints.txt.
CARRIED_WHEELS = ('mmengine', 'mmdet', 'mmpretrain', 'mmpose', 'addict', 'yapf', 'platformdirs',
                  'termcolor', 'json-tricks', 'munkres', 'mat4py', 'model-index', 'ordered-set',
                  'terminaltables', 'shapely', 'pycocotools', 'importlib-metadata',
                  'lazy-importer', 'zipp')
SDISTS = ('mmcv', 'xtcocotools')  # built on the device (see tools/gpu_check.sh)
PLATFORMS = ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64', 'manylinux_2_24_x86_64',
             'manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'manylinux1_x86_64')
LSP_SUBSET = 2000  # images 1-1000 train (the benchmark students' 1,000), 1001-2000 "test"
LSP_ARCHIVE = 'lspet_2000.tar.gz'
# Tracked files the check does not read: --slim removes them from the working tree for
# the device call (git checkout restores them; --restore does).
SLIM = ('data/lspet_128.tar.gz', 'data/cifar10_jpg.tar.gz', 'data/cifar10_mentors/*.pth',
        'data/lsp_mentors/*_weak.pth')

CUDA_TESTS = ['tests/test_fast_path_cuda_graph.py', 'tests/test_distiller_devices.py', '-k', 'cuda']

CLASSROOMS = {
    'heatmap': dict(nokd='configs/lsp/litehrnet-18_lsp-64x64.py',
                    classroom='configs/lsp/litehrnet-18_classroom.py',
                    student='LiteHRNet-18'),
    'simcc': dict(nokd='configs/lsp/rtmpose-t_lsp-64x64.py',
                  classroom='configs/lsp/rtmpose-t_classroom.py', student='RTMPose-t'),
}
# The pose runs in priority order: when the stage's budget runs out, the rest are skipped.
POSE_RUNS = [(classroom, method, mode)
             for modes in ((('NOKD', 'fp32'), ('ClassroomKD', 'fp32')),
                           (('ClassroomKD', 'fast path + CUDA graph'),),
                           (('ClassroomKD', 'amp'), ('NOKD', 'amp')),
                           (('ClassroomKD', 'dist'),))
             for classroom in CLASSROOMS for method, mode in modes]
# For the dry run: each config, and each launch mode but --amp, which on the CPU is bfloat16
# autocast (CPUAmpOptimWrapper), where MMPose's heads fail to turn their bfloat16 outputs
# into numpy for the training accuracy; on CUDA it is float16 (AmpOptimWrapper). Every run's
# command is still built and reported.
DRY_RUN_POSE = [('heatmap', 'ClassroomKD', 'fast path + CUDA graph'), ('simcc', 'NOKD', 'fp32'),
                ('simcc', 'ClassroomKD', 'dist')]
DRY_RUN_MENTORS = 'resnet8,resnet14'  # step_time.py's classroom, small
MODE_NAMES = {'fp32': 'tools/train.py', 'amp': 'tools/train.py --amp',
              'fast path + CUDA graph': 'tools/train.py, mentor_fast_path.cuda_graph=True',
              'dist': 'tools/dist_train.sh CONFIG 1'}
# step_time.py rows behind each target (issues 12 and 22).
GRAPH = 'ClassroomKD fast path fp32 + CUDA graph'
TARGETS = {
    'graph_vs_authors_loop': (f"{GRAPH} / authors'-style loop", 0.40),
    'classroomkd_vs_aver_graph': ('ClassroomKD / AVER, both fast path fp32 + CUDA graph', 1.02),
    'classroomkd_vs_aver': ('ClassroomKD / AVER', 1.02),
    'host_syncs': ('host syncs in every ClassroomKD variant', 0),
    'stretch_vs_student': (f'{GRAPH} / student alone (stretch: overlap)', 1.5),
}


# ------------------------------------------------------------------ plumbing

def say(message: str) -> None:
    print(f'[gpu_check {time.strftime("%H:%M:%S")}] {message}', flush=True)


class Budget:
    """The run's deadline. A stage may use what is left minus the nominal time of the
    stages after it, so time a stage leaves unused goes to the later ones."""

    def __init__(self, total: float, stages):
        self.deadline = time.monotonic() + total
        self.stages = list(stages)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def for_stage(self, stage: str) -> float:
        later = self.stages[self.stages.index(stage) + 1:]
        return max(0.0, self.left() - sum(NOMINAL[name] for name in later))


def run(cmd, log_path: str, timeout: float, env=None, cwd=REPO, title=None) -> dict:
    """Run ``cmd`` in its own process group, appending its output to ``log_path``; kill the
    whole group (workers, torchrun's children) at ``timeout``."""
    begin = time.monotonic()
    with open(log_path, 'a') as log:
        log.write(f'\n===== {title or " ".join(map(str, cmd))}\n$ {" ".join(map(str, cmd))}\n')
        log.flush()
        if timeout <= 0:
            log.write('not started: no time left in the budget\n')
            return dict(rc=None, seconds=0.0, timed_out=True)
        process = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
        seconds = time.monotonic() - begin
        log.write(f'----- exit {process.returncode} after {seconds:.1f} s'
                  f'{" (killed: time budget)" if timed_out else ""}\n')
    return dict(rc=process.returncode, seconds=round(seconds, 1), timed_out=timed_out)


def python_env(extra=None, dry_run=False) -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    env.pop('OUT', None)  # the tools write their own folders, never the returned one
    if dry_run:  # beside other work on 2 cores, a second OpenMP thread costs up to 8x
        env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    env.update(extra or {})
    return env


def tail(path: str, lines: int = 15) -> str:
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def pins() -> dict:
    found = {}
    with open(osp.join(REPO, 'requirements', 'constraints.txt')) as f:
        for line in f:
            name, sep, version = line.strip().partition('==')
            if sep and not name.startswith('#'):
                found[normalise(name)] = version
    return found


def normalise(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


# ------------------------------------------------------------------ stage: install

def stage_install(ctx) -> dict:
    if ctx.dry_run:
        return dict(status='skipped', note='dry run: nothing is installed; the CPU '
                    'environment running the dry run stands in for it')
    carry = osp.join(REPO, CARRY)
    wheels = sorted(glob.glob(osp.join(carry, 'wheels', '*.whl')))
    if not wheels:
        return dict(status='failed', note=f'no wheels in {CARRY}/wheels: run '
                    'tools/gpu_check_prepare.sh here and carry the folder')
    pip = [sys.executable, '-m', 'pip', 'install', '--no-index', '--no-deps',
           '--no-cache-dir', '--disable-pip-version-check', '--no-build-isolation']
    steps = []
    budget = ctx.budget.for_stage('install')
    begin = time.monotonic()

    def left():
        return budget - (time.monotonic() - begin)

    result = run(pip + ['--no-compile'] + wheels, ctx.log, left(), python_env(),
                 title='install: carried wheels')
    steps.append(dict(name=f'{len(wheels)} carried wheels', **result))
    # mmcv's ops on the CPU only: with a GPU visible, mmcv's setup.py compiles its CUDA
    # kernels too (nvcc, many minutes). torch >= 2.10's headers need C++20; mmcv 2.1.0
    # asks for C++17 (scripts/setup_env.sh does the same).
    builds = []
    build_root = osp.join(ctx.work, 'build')
    os.makedirs(build_root, exist_ok=True)
    if not any(osp.basename(w).startswith('mmcv-') for w in wheels):
        [sdist] = glob.glob(osp.join(carry, 'sdist', 'mmcv-*.tar.gz')) or [None]
        if sdist is None:
            steps.append(dict(name='mmcv build', rc=None, seconds=0.0, timed_out=False,
                              note=f'no mmcv sdist in {CARRY}/sdist'))
        else:
            with tarfile.open(sdist) as archive:
                archive.extractall(build_root, filter='data')
            source = glob.glob(osp.join(build_root, 'mmcv-*'))[0]
            setup_py = osp.join(source, 'setup.py')
            with open(setup_py) as f:
                text = f.read()
            with open(setup_py, 'w') as f:
                f.write(text.replace('-std=c++17', '-std=c++20'))
            builds.append(('mmcv build (CPU ops, %d jobs)' % os.cpu_count(), pip + [source],
                           dict(MMCV_WITH_OPS='1', FORCE_CUDA='0', CUDA_VISIBLE_DEVICES='',
                                MAX_JOBS=str(os.cpu_count()))))
    for sdist in glob.glob(osp.join(carry, 'sdist', 'xtcocotools-*.tar.gz')):
        builds.append(('xtcocotools build', pip + [sdist], {}))
    processes = []
    for name, cmd, extra in builds:  # side by side: xtcocotools takes one core
        log = osp.join(ctx.work, f'{normalise(name.split()[0])}_build.log')
        processes.append((name, log, time.monotonic(), subprocess.Popen(
            cmd, cwd=REPO, env=python_env(extra), stdout=open(log, 'w'),
            stderr=subprocess.STDOUT, start_new_session=True)))
    for name, log, started, process in processes:
        timed_out = False
        try:
            process.wait(timeout=max(left(), 1))
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with open(ctx.log, 'a') as out, open(log, errors='replace') as f:
            out.write(f'\n===== install: {name}\n{f.read()}\n')
        steps.append(dict(name=name, rc=process.returncode, timed_out=timed_out,
                          seconds=round(time.monotonic() - started, 1)))
    result = run(pip + ['-e', REPO], ctx.log, left(), python_env(),
                 title='install: classroomkd_mm (editable)')
    steps.append(dict(name='classroomkd_mm (editable)', **result))
    check = ('import mmcv.ops, mmengine, mmpose.models, mmdet.models, mmpretrain.models, '
             'xtcocotools.coco, classroomkd_mm')
    result = run([sys.executable, '-c', check], ctx.log, left(), python_env(),
                 title='install: the stack imports')
    steps.append(dict(name='the stack imports', **result))
    ok = all(step['rc'] == 0 for step in steps)
    return dict(status='ok' if ok else 'failed', steps=steps,
                note='mmcv and xtcocotools built here from their sdists')


# ------------------------------------------------------------------ stage: tests

def stage_tests(ctx) -> dict:
    junit = osp.join(ctx.work, 'cuda_tests.xml')
    if osp.exists(junit):
        os.remove(junit)
    cmd = [sys.executable, '-m', 'pytest', '-q', '-rfEs', f'--junitxml={junit}'] + CUDA_TESTS
    result = run(cmd, ctx.log, ctx.budget.for_stage('tests'), python_env(dry_run=ctx.dry_run),
                 title='tests: CUDA-only tests')
    tests = []
    if osp.exists(junit):
        for case in ET.parse(junit).getroot().iter('testcase'):
            outcome, message = 'passed', ''
            for tag in ('failure', 'error', 'skipped'):
                found = case.find(tag)
                if found is not None:
                    outcome = {'failure': 'failed', 'error': 'error', 'skipped': 'skipped'}[tag]
                    message = (found.get('message') or '')[:300]
            test_id = f"{case.get('classname')}::{case.get('name')}"
            tests.append(dict(id=test_id, outcome=outcome, message=message))
    counts = {outcome: sum(t['outcome'] == outcome for t in tests)
              for outcome in ('passed', 'failed', 'error', 'skipped')}
    ok = result['rc'] == 0 and tests and not counts['failed'] and not counts['error']
    report = dict(status='ok' if ok else ('timeout' if result['timed_out'] else 'failed'),
                  command=' '.join(cmd[1:]).replace(junit, 'cuda_tests.xml'), **counts,
                  tests=tests, seconds=result['seconds'])
    if ctx.dry_run:
        report['note'] = 'CPU: the CUDA-only tests are collected and skip'
    if not ok:
        report['tail'] = tail(ctx.log, 30)
    return report


# ------------------------------------------------------------------ stage: step

def parse_step_time(text: str) -> dict:
    """step_time.py's printed device line and its two markdown tables, as numbers."""
    variants, ratios, device, table = {}, {}, None, None
    for line in text.splitlines():
        if line.startswith('device: '):
            device = line[len('device: '):]
        elif line.startswith('| variant |'):
            table = 'variants'
        elif line.startswith('| ratio |'):
            table = 'ratios'
        elif not line.startswith('|'):
            table = None
        elif table and not line.startswith('|---'):
            cells = [cell.strip() for cell in line.strip('|').split('|')]
            if table == 'variants':
                name, step, memory, peak, syncs = cells
                variants[name] = dict(step_ms=number(step), autograd_mb=number(memory),
                                      peak_mb=number(peak), host_syncs=number(syncs))
            else:
                name, measured, target = cells
                ratios[name] = dict(measured=number(measured), target=target)
    return dict(device=device, variants=variants, ratios=ratios)


def number(cell: str):
    try:
        value = float(cell)
    except ValueError:
        return None
    return int(value) if value.is_integer() and '.' not in cell else value


def targets_of(ratios: dict) -> dict:
    found = {}
    for key, (row, limit) in TARGETS.items():
        measured = ratios.get(row, {}).get('measured')
        found[key] = dict(row=row, limit=limit, measured=measured,
                          met=None if measured is None else measured <= limit)
        if measured is None:
            found[key]['note'] = 'CUDA only' if row in ratios else 'row missing'
    return found


def stage_step(ctx) -> dict:
    sizes = (['--batch', '2', '--reps', '1', '--warmup', '0', '--mentors', DRY_RUN_MENTORS]
             if ctx.dry_run else ['--reps', '12', '--warmup', '3'])
    cmd = [sys.executable, 'tools/benchmarks/step_time.py'] + sizes
    budget = ctx.budget.for_stage('step')
    begin = time.monotonic()
    output = osp.join(ctx.work, 'step_time.txt')
    result = run(cmd + ['--device', ctx.device], output, budget - 20,
                 python_env(dry_run=ctx.dry_run), title='step: tools/benchmarks/step_time.py')
    with open(output, errors='replace') as f:
        text = f.read()
    with open(ctx.log, 'a') as log:
        log.write(text)
    parsed = parse_step_time(text)
    report = dict(status='ok' if result['rc'] == 0 and parsed['variants'] else 'failed',
                  command=' '.join(cmd[1:]), seconds=result['seconds'], **parsed,
                  targets=targets_of(parsed['ratios']),
                  tables=[line for line in text.splitlines() if line.startswith('|')])
    if report['status'] != 'ok':
        report['tail'] = tail(output, 30)
        return report
    measured = [t['met'] for t in report['targets'].values() if t['met'] is not None]
    report['all_met'] = all(measured) if measured and ctx.device == 'cuda' else None
    missed = [key for key, t in report['targets'].items() if t['met'] is False]
    if missed or ctx.dry_run:  # a dry run always exercises the profile
        trace = osp.join(ctx.out, 'step_profile.json.gz')
        summary = osp.join(ctx.work, 'step_profile.json')
        cmd = [sys.executable, osp.abspath(__file__), '--profile-step', trace, '--device',
               ctx.device, '--summary', summary] + (
                   ['--batch', '2', '--steps', '2', '--mentors', DRY_RUN_MENTORS]
                   if ctx.dry_run else [])
        left = budget - (time.monotonic() - begin)
        profiled = run(cmd, ctx.log, left, python_env(dry_run=ctx.dry_run),
                       title='step: torch.profiler trace')
        report['profile'] = dict(reason=('dry run' if not missed else 'missed: '
                                         + ', '.join(missed)), **profiled)
        if profiled['rc'] == 0 and osp.exists(summary):
            with open(summary) as f:
                report['profile'].update(json.load(f))
            report['profile']['trace'] = osp.basename(trace)
        else:
            report['profile']['tail'] = tail(ctx.log, 20)
    return report


def profile_step(args) -> None:
    """``--profile-step``: a torch.profiler trace of the ClassroomKD fast path fp32 + CUDA
    graph step of step_time.py (the same classroom, batch and step), gzipped, and the
    operators that took the most time."""
    import tempfile

    import torch
    from mmengine.registry import init_default_scope
    from torch.profiler import ProfilerActivity, profile, record_function

    from classroomkd_mm.engine.config_files import read_config
    from classroomkd_mm.experiments.step_time import (CLASSROOM, classroom, distiller, sgd,
                                                      training_batch)
    device = torch.device(args.device)
    init_default_scope('mmpretrain')
    mentors = args.mentors.split(',') if args.mentors else \
        [m.name for m in read_config(CLASSROOM).model.mentors]
    model = distiller(classroom(tempfile.mkdtemp(), mentors),
                      mentor_fast_path=dict(cuda_graph=True)).to(device).train()
    data, optim_wrapper = training_batch(args.batch, device), sgd(model)

    def step():  # the Runner's training step
        model.train_step(data, optim_wrapper)

    def synchronize():
        if device.type == 'cuda':
            torch.cuda.synchronize()

    for _ in range(3):  # the probe, the capture, one replay
        step()
    synchronize()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA]
                                           if device.type == 'cuda' else [])
    with profile(activities=activities) as prof:
        for _ in range(args.steps):
            with record_function('classroomkd_step'):
                step()
        synchronize()
    raw = args.profile_step[:-len('.gz')] if args.profile_step.endswith('.gz') \
        else args.profile_step + '.json'
    raw = osp.join(tempfile.mkdtemp(), osp.basename(raw))
    prof.export_chrome_trace(raw)
    with open(raw, 'rb') as source, gzip.open(args.profile_step, 'wb') as target:
        shutil.copyfileobj(source, target)

    def device_us(event):
        for name in ('self_device_time_total', 'self_cuda_time_total'):
            value = getattr(event, name, None)
            if value is not None:
                return float(value)
        return 0.0

    events = [e for e in prof.key_averages() if e.key != 'classroomkd_step']
    key = device_us if device.type == 'cuda' else (lambda e: float(e.self_cpu_time_total))
    top = sorted(events, key=key, reverse=True)[:15]
    step_events = [e for e in prof.key_averages() if e.key == 'classroomkd_step']
    summary = dict(
        variant='ClassroomKD, fast path fp32 + CUDA graph', mentors=list(mentors),
        steps=args.steps, batch=args.batch,
        device=(torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'),
        step_cpu_ms=(round(step_events[0].cpu_time_total / 1000 / args.steps, 3)
                     if step_events else None),
        sorted_by='self device time' if device.type == 'cuda' else 'self CPU time',
        top_ops=[dict(name=e.key, calls=e.count,
                      self_cpu_ms=round(e.self_cpu_time_total / 1000 / args.steps, 3),
                      self_device_ms=round(device_us(e) / 1000 / args.steps, 3))
                 for e in top])
    with open(args.summary, 'w') as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))


# ------------------------------------------------------------------ stage: pose

def prepare_lsp(ctx) -> dict:
    """The LSP data the pose runs read, in the work folder. On the device: images 1-2000
    of LSP Extended (carried, ``.gpu_carry/lspet_2000.tar.gz``) through
    ``tools/data/prepare_lsp.py``, which splits 2,000 images 1,000 / 1,000. Dry run: the
    tracked 60-image ``data/lsp_slice`` through ``tools/data/lsp_to_coco.py`` (48 train)."""
    if ctx.dry_run:
        root = osp.join(ctx.work, 'lsp_slice')
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(osp.join(REPO, 'data', 'lsp_slice'), root)
        cmd = [sys.executable, 'tools/data/lsp_to_coco.py', root, '--train-images', '48']
    else:
        root = osp.join(ctx.work, 'lspet')
        cmd = [sys.executable, 'tools/data/prepare_lsp.py', '--archive',
               osp.join(REPO, CARRY, LSP_ARCHIVE), '--out', root]
    result = run(cmd, ctx.log, 120, python_env(dry_run=ctx.dry_run), title='pose: LSP data')
    counts = {}
    for split in ('train', 'test'):
        path = osp.join(root, 'annotations', f'lsp_{split}.json')
        if osp.exists(path):
            with open(path) as f:
                counts[split] = len(json.load(f)['images'])
    return dict(root=root, command=' '.join(cmd[1:]), images=counts, **result)


def pose_command(ctx, classroom: str, method: str, mode: str, work_dir: str, data_root: str):
    config = CLASSROOMS[classroom]['nokd' if method == 'NOKD' else 'classroom']
    epochs = ctx.pose_epochs if mode != 'dist' else max(1, ctx.pose_epochs // 2)
    # training only: no validation (MMEngine validates after the last epoch), no checkpoint
    options = [f"train_dataloader.dataset.data_root={data_root.rstrip('/')}/",
               f'train_cfg.max_epochs={epochs}', 'val_cfg=None', 'val_dataloader=None',
               'val_evaluator=None', 'default_hooks.checkpoint.interval=1000',
               'default_hooks.checkpoint.save_last=False',
               f'default_hooks.logger.interval={ctx.log_interval}',
               f'log_processor.window_size={ctx.log_interval}', 'randomness.seed=0']
    if ctx.dry_run:  # tiny and single-process: no loader workers on the 2-core CPU
        options += ['train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
                    'train_dataloader.persistent_workers=False']
    else:
        options += ['train_dataloader.num_workers=4']
    if mode == 'fast path + CUDA graph':
        options += ['model.mentor_fast_path.cuda_graph=True']
    env = python_env(dry_run=ctx.dry_run)
    if mode == 'dist':
        if ctx.device == 'cuda':
            options += ['env_cfg.dist_cfg.backend=nccl']
        env.update(PYTHON=sys.executable, PORT=str(free_port()))
        cmd = ['bash', 'tools/dist_train.sh', config, '1']
    else:
        cmd = [sys.executable, 'tools/train.py', config]
    cmd += ['--work-dir', work_dir] + (['--amp'] if mode == 'amp' else [])
    return cmd + ['--cfg-options'] + options, env, epochs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def read_training(work_dir: str, warmup_iters: int) -> dict:
    """Iterations per second and the rest from MMEngine's ``scalars.json``: each train line
    holds the mean ``time`` and ``data_time`` of the iterations since the last one
    (``log_processor.window_size`` = the logging interval)."""
    paths = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not paths:
        return {}
    lines = []
    with open(paths[-1]) as f:
        for line in f:
            entry = json.loads(line)
            if 'time' in entry and 'loss' in entry:
                lines.append(entry)
    if not lines:
        return {}
    timed = [e for e in lines if e['step'] > warmup_iters] or lines
    seconds = statistics.median(e['time'] for e in timed)
    last = lines[-1]
    return dict(iterations=last['step'], timed_iterations=f"{timed[0]['step']}-{last['step']}",
                it_per_s=round(1 / seconds, 2), step_ms=round(seconds * 1000, 2),
                data_time_ms=round(statistics.median(e['data_time'] for e in timed) * 1000, 2),
                memory_mb=max((e.get('memory', 0) for e in lines), default=None) or None,
                last_loss=round(last['loss'], 5),
                active_rate={k.split('/', 1)[1]: round(v, 3) for k, v in last.items()
                             if k.startswith('active_rate/')})


def fast_path_lines(log_path: str, since: int) -> list:
    with open(log_path, errors='replace') as f:
        f.seek(since)
        text = f.read()
    return sorted({re.sub(r'^.*? - mmengine - [A-Z]+ - ', '', line).strip()
                   for line in text.splitlines()
                   if 'passes its probe' in line or 'runs eager' in line})[:8]


def stage_pose(ctx) -> dict:
    budget = ctx.budget.for_stage('pose')
    begin = time.monotonic()
    report = ctx.report['stages']['pose'] = dict(status='running', runs=[])
    report['data'] = prepare_lsp(ctx)
    if report['data']['rc'] != 0 or not report['data']['images'].get('train'):
        report.update(status='failed', tail=tail(ctx.log, 20))
        return report
    planned = DRY_RUN_POSE if ctx.dry_run else POSE_RUNS
    for classroom, method, mode in POSE_RUNS:
        name = f'{classroom} {method} {mode}'
        work_dir = osp.join(ctx.work, 'pose', re.sub(r'[^a-z0-9]+', '_', name.lower()))
        cmd, env, epochs = pose_command(ctx, classroom, method, mode, work_dir,
                                        report['data']['root'])
        entry = dict(name=name, classroom=classroom, student=CLASSROOMS[classroom]['student'],
                     method=method, mode=mode, how=MODE_NAMES[mode], epochs=epochs,
                     command=' '.join(cmd).replace(sys.executable, 'python')
                     .replace(ctx.work, 'WORK'))
        report['runs'].append(entry)
        if (classroom, method, mode) not in planned:
            entry['status'] = 'not run in the dry run'
            continue
        left = budget - (time.monotonic() - begin)
        if left < (5 if ctx.dry_run else 25):
            entry['status'] = 'skipped: the stage budget ran out'
            continue
        shutil.rmtree(work_dir, ignore_errors=True)
        since = osp.getsize(ctx.log)
        result = run(cmd, ctx.log, min(left, ctx.run_limit), env, title=f'pose: {name}')
        figures = read_training(work_dir, ctx.warmup_iters)
        entry.update(**result, **figures)
        entry['status'] = ('ok' if result['rc'] == 0 and figures else
                           'timeout' if result['timed_out'] else 'failed')
        entry['fast_path'] = fast_path_lines(ctx.log, since)
        if entry['status'] != 'ok':
            entry['tail'] = tail(ctx.log, 25)
        compare_with_nokd(report['runs'])
        ctx.save()
    done = [r for r in report['runs'] if r['status'] != 'not run in the dry run']
    report['status'] = ('ok' if all(r['status'] == 'ok' for r in done) else
                        'partial' if any(r['status'] == 'ok' for r in done) else 'failed')
    return report


def compare_with_nokd(runs) -> None:
    """Each run's iterations per second over its classroom's NOKD student's: under AMP
    against NOKD under AMP when that ran, else against NOKD in fp32."""
    for entry in runs:
        if entry.get('status') != 'ok':
            continue
        nokd = {r['mode']: r for r in runs
                if r['classroom'] == entry['classroom'] and r['method'] == 'NOKD'
                and r.get('status') == 'ok'}
        reference = nokd.get('amp') if entry['mode'] == 'amp' and 'amp' in nokd \
            else nokd.get('fp32')
        if reference is None or reference is entry:
            entry.pop('vs_nokd', None)
            continue
        entry['vs_nokd'] = dict(nokd=f"NOKD {reference['mode']}",
                                nokd_it_per_s=reference['it_per_s'],
                                ratio=round(entry['it_per_s'] / reference['it_per_s'], 3))


# ------------------------------------------------------------------ outputs

def describe_environment(ctx) -> dict:
    meta = dict(dry_run=ctx.dry_run, python=sys.version.split()[0], cpus=os.cpu_count(),
                started=time.strftime('%Y-%m-%d %H:%M:%S %Z'), budget_s=ctx.budget_total)
    try:
        meta['commit'] = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=REPO,
                                        capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    probe = ('import json, torch; c = torch.cuda.is_available(); print(json.dumps(dict('
             'torch=torch.__version__, cuda=torch.version.cuda, gpu=torch.cuda.get_device_name() '
             'if c else None, cudnn=torch.backends.cudnn.version() if c else None)))')
    try:
        found = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                               timeout=120)
        meta.update(json.loads(found.stdout.strip().splitlines()[-1]))
    except (subprocess.SubprocessError, IndexError, ValueError) as error:
        meta['torch_error'] = str(error)[:200]
    return meta


def markdown(report: dict) -> str:
    meta = report['meta']
    where = (f"{meta.get('gpu') or 'CPU (dry run)'}, torch {meta.get('torch')}, "
             f"CUDA {meta.get('cuda')}, Python {meta['python']}, {meta['cpus']} CPU cores")
    out = [f'### CUDA check: {where}', '',
           f"`tools/gpu_check.sh{' --dry-run' if meta['dry_run'] else ''}` at commit "
           f"{meta.get('commit', '?')}, started {meta['started']}; "
           f"{meta.get('total_s', '?')} s of a {meta['budget_s']} s budget.", '',
           '| stage | status | seconds | note |', '|---|---|---|---|']
    for name, stage in report['stages'].items():
        out.append(f"| {name} | {stage.get('status')} | {stage.get('seconds', '-')} | "
                   f"{stage.get('note', '')} |")
    install = report['stages'].get('install', {})
    if install.get('steps'):
        out += ['', '| install step | exit | seconds |', '|---|---|---|']
        out += [f"| {s['name']} | {s['rc']} | {s['seconds']} |" for s in install['steps']]
    tests = report['stages'].get('tests', {})
    if 'tests' in tests:
        out += ['', f"CUDA-only tests (`{tests.get('command', '')}`): {tests['passed']} passed, "
                f"{tests['failed']} failed, {tests['error']} errors, {tests['skipped']} skipped."]
        out += [f"- {t['outcome']}: `{t['id']}` {t['message'][:120]}" for t in tests['tests']
                if t['outcome'] in ('failed', 'error')]
    step = report['stages'].get('step', {})
    if step.get('tables'):
        out += ['', f"Step benchmark (`{step['command']}`), device: {step.get('device')}", '']
        for line in step['tables']:
            if line.startswith('| ratio |'):
                out.append('')
            out.append(line)
        out += ['', '| target (issues 12, 22) | measured | limit | met |', '|---|---|---|---|']
        for key, target in step.get('targets', {}).items():
            measured = target['measured']
            met = {True: 'met', False: 'missed', None: target.get('note', '-')}[target['met']]
            out.append(f"| {target['row']} | {'-' if measured is None else measured} | "
                       f"<= {target['limit']} | {met} |")
    profile = step.get('profile')
    if profile and profile.get('top_ops'):
        out += ['', f"Profile of `{profile['variant']}` ({profile['reason']}; trace "
                f"`{profile.get('trace')}`, {profile['steps']} steps of batch "
                f"{profile['batch']}, per step, sorted by {profile['sorted_by']}):", '',
                '| operator | calls | self CPU (ms) | self device (ms) |', '|---|---|---|---|']
        out += [f"| {op['name']} | {op['calls']} | {op['self_cpu_ms']} | {op['self_device_ms']} |"
                for op in profile['top_ops']]
    pose = report['stages'].get('pose', {})
    if pose.get('runs'):
        data = pose.get('data', {})
        out += ['', f"Pose on LSP Extended ({data.get('images', {}).get('train')} training "
                f"images at 64x64, batch {'8' if meta['dry_run'] else '32'}; iterations per "
                'second from MMEngine\'s per-iteration `time`, median after the first '
                f"{report['settings']['warmup_iters']} iterations):", '',
                '| classroom | method | how | iterations | it/s | it/s vs NOKD | data time (ms) '
                '| peak memory (MB) | last loss | status |', '|---|---|---|---|---|---|---|---|---|---|']
        for r in pose['runs']:
            if r['status'] == 'not run in the dry run':
                continue
            vs = r.get('vs_nokd')
            ratio = f"{vs['ratio']} ({vs['nokd']}: {vs['nokd_it_per_s']})" if vs else '-'
            out.append(f"| {r['classroom']} ({r['student']}) | {r['method']} | {r['how']} | "
                       f"{r.get('iterations', '-')} | {r.get('it_per_s', '-')} | {ratio} | "
                       f"{r.get('data_time_ms', '-')} | {r.get('memory_mb') or '-'} | "
                       f"{r.get('last_loss', '-')} | {r['status']} |")
        lines = sorted({line for r in pose['runs'] for line in r.get('fast_path', [])})
        if lines:
            out += ['', 'Mentor fast path, as logged:'] + [f'- {line}' for line in lines]
    return '\n'.join(out) + '\n'


class Context:
    def __init__(self, args):
        self.dry_run = args.dry_run
        self.work = osp.abspath(args.work)
        self.out = osp.abspath(args.out or os.environ.get('OUT') or osp.join(self.work, 'out'))
        os.makedirs(self.work, exist_ok=True)
        os.makedirs(self.out, exist_ok=True)
        for name in OUTPUT_FILES:  # a rerun leaves no stale figure behind
            if osp.exists(osp.join(self.out, name)):
                os.remove(osp.join(self.out, name))
        self.log = osp.join(self.out, 'gpu_check.log')
        open(self.log, 'w').close()
        self.budget_total = args.budget
        self.budget = Budget(args.budget, args.stages)
        self.device = 'cpu' if args.dry_run else 'cuda'
        self.pose_epochs = 1 if args.dry_run else args.pose_epochs
        self.log_interval = 2 if args.dry_run else 10
        self.warmup_iters = 0 if args.dry_run else 30
        self.run_limit = 120 if args.dry_run else 75
        self.report = dict(meta={}, settings=dict(
            pose_epochs=self.pose_epochs, warmup_iters=self.warmup_iters,
            log_interval=self.log_interval, stages=list(args.stages)), stages={})
        self.begin = time.monotonic()

    def save(self) -> None:
        self.report['meta']['total_s'] = round(time.monotonic() - self.begin, 1)
        with open(osp.join(self.out, 'gpu_check.json'), 'w') as f:
            json.dump(self.report, f, indent=1)
        with open(osp.join(self.out, 'gpu_check.md'), 'w') as f:
            f.write(markdown(self.report))


def check(args) -> int:
    ctx = Context(args)
    stages = dict(install=stage_install, tests=stage_tests, step=stage_step, pose=stage_pose)
    say(f"{'dry run on the CPU' if ctx.dry_run else 'CUDA check'}: stages "
        f"{', '.join(args.stages)}; budget {args.budget:.0f} s; output {ctx.out}")
    ctx.report['meta'].update(describe_environment(ctx))  # the image's torch: before install
    for name in args.stages:
        begin = time.monotonic()
        say(f'stage {name}: up to {ctx.budget.for_stage(name):.0f} s')
        ctx.report['stages'][name] = dict(status='running')
        try:
            result = stages[name](ctx)
        except Exception as error:  # a broken stage must not cost the others their turn
            result = dict(status='failed', error=f'{type(error).__name__}: {error}')
        result.setdefault('seconds', 0)
        result['seconds'] = round(time.monotonic() - begin, 1)
        result['budget_s'] = round(ctx.budget.for_stage(name) + result['seconds'])
        ctx.report['stages'][name] = result
        ctx.save()
        say(f"stage {name}: {result['status']} in {result['seconds']} s")
    ctx.save()
    print('\n' + markdown(ctx.report), flush=True)
    failed = [n for n, s in ctx.report['stages'].items() if s['status'] in ('failed', 'timeout')]
    say(f"done in {ctx.report['meta']['total_s']} s; figures in {ctx.out}"
        + (f"; failed: {', '.join(failed)}" if failed else ''))
    return 1 if failed else 0


# ------------------------------------------------------------------ prepare (here)

def tracked_sizes() -> dict:
    """Bytes by path of what a device call carries from the checkout, as its docs count:
    tracked files present in the working tree and untracked files git does not ignore."""
    sizes = {}
    for flags in (['--cached'], ['--others', '--exclude-standard']):
        listed = subprocess.run(['git', 'ls-files', '-z'] + flags, cwd=REPO,
                                capture_output=True, text=True, check=True).stdout
        for path in filter(None, listed.split('\0')):
            full = osp.join(REPO, path)
            if osp.lexists(full) and not osp.isdir(full):
                sizes[path] = os.lstat(full).st_size
    return sizes


def slim_paths() -> list:
    tracked = set(filter(None, subprocess.run(['git', 'ls-files', '-z'], cwd=REPO,
                                              capture_output=True, text=True,
                                              check=True).stdout.split('\0')))
    found = []
    for pattern in SLIM:
        found += sorted(p for p in tracked if re.fullmatch(
            re.escape(pattern).replace(r'\*', r'[^/]*'), p))
    return found


def folder_bytes(folder: str) -> int:
    if osp.isfile(folder):
        return os.lstat(folder).st_size
    return sum(os.lstat(osp.join(root, name)).st_size
               for root, _, names in os.walk(folder) for name in names)


def travel_report() -> dict:
    sizes = tracked_sizes()
    slim = set(slim_paths())
    carry = folder_bytes(osp.join(REPO, CARRY))
    shared = folder_bytes(osp.join(REPO, 'shared'))
    tree = sum(sizes.values())
    slimmed = sum(size for path, size in sizes.items() if path not in slim)
    return dict(tree=tree, slimmable=tree - slimmed, tree_slimmed=slimmed, carry=carry,
                shared=shared, total=tree + carry + shared,
                total_slimmed=slimmed + carry + shared, limit=TRAVEL_LIMIT,
                present_slim_paths=sorted(p for p in slim if p in sizes),
                largest=sorted(sizes.items(), key=lambda kv: -kv[1])[:8])


def mib(value: int) -> str:
    return f'{value / 2 ** 20:.1f} MiB'


def download(args, carry: str) -> None:
    pinned = pins()
    wheels, sdists = osp.join(carry, 'wheels'), osp.join(carry, 'sdist')
    os.makedirs(wheels, exist_ok=True)
    os.makedirs(sdists, exist_ok=True)
    wanted = {normalise(n): pinned[normalise(n)] for n in CARRIED_WHEELS + SDISTS}
    for folder in (wheels, sdists):  # one version of each: two stop the device's install
        for path in glob.glob(osp.join(folder, '*')):
            name, version = re.match(r'([^-]+)-([^-]+?)(?:\.tar\.gz|-.*\.whl)$',
                                     osp.basename(path)).groups()
            if wanted.get(normalise(name)) != version:
                os.remove(path)
    env = dict(os.environ, PIP_CONSTRAINT=osp.join(REPO, 'requirements', 'constraints.txt'))
    pip = [sys.executable, '-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check']
    platforms = [flag for p in PLATFORMS for flag in ('--platform', p)]
    say(f'downloading {len(CARRIED_WHEELS)} wheels for CPython 3.12 into {wheels}')
    subprocess.run(pip + ['--only-binary=:all:', '--python-version', '3.12', '--implementation',
                          'cp'] + platforms + ['-d', wheels]
                   + [f'{n}=={pinned[normalise(n)]}' for n in CARRIED_WHEELS],
                   check=True, env=env)
    say(f'downloading the sdists of {", ".join(SDISTS)} into {sdists} (built on the device)')
    # their setup.py imports torch and numpy to describe themselves: no build isolation
    subprocess.run(pip + ['--no-binary=:all:', '--no-build-isolation', '-d', sdists]
                   + [f'{n}=={pinned[n]}' for n in SDISTS], check=True, env=env)


def make_lsp_subset(carry: str) -> str:
    """Images 1-2000 of the shipped LSP Extended copy with their columns of joints.mat, as
    an archive ``tools/data/prepare_lsp.py`` takes (2,000 images: 1,000 train, 1,000 test)."""
    import io

    import numpy as np
    from scipy.io import loadmat, savemat
    target = osp.join(carry, LSP_ARCHIVE)
    source = osp.join(REPO, 'data', 'lspet_128.tar.gz')
    if osp.exists(target) and osp.getmtime(target) >= osp.getmtime(source):
        return target
    wanted = {f'im{i:05d}.jpg' for i in range(1, LSP_SUBSET + 1)}
    partial = target + '.part'
    with tarfile.open(source) as archive, tarfile.open(partial, 'w:gz') as subset:
        found = 0
        for member in archive:
            base = osp.basename(member.name)
            if not member.isfile():
                continue
            if base == 'joints.mat':
                joints = np.asarray(loadmat(io.BytesIO(archive.extractfile(member).read()))
                                    ['joints'])
                assert joints.shape[:2] == (14, 3), joints.shape  # LSP Extended's layout
                buffer = io.BytesIO()
                savemat(buffer, dict(joints=joints[:, :, :LSP_SUBSET]))
                info = tarfile.TarInfo('lspet_2000/joints.mat')
                info.size = len(buffer.getvalue())
                subset.addfile(info, io.BytesIO(buffer.getvalue()))
            elif base in wanted:
                info = tarfile.TarInfo(f'lspet_2000/images/{base}')
                info.size = member.size
                subset.addfile(info, archive.extractfile(member))
                found += 1
        note = (f'Images 1-{LSP_SUBSET} of data/lspet_128.tar.gz (LSP Extended, Johnson and '
                'Everingham, CVPR 2011) for tools/gpu_check.sh.\n').encode()
        info = tarfile.TarInfo('lspet_2000/README.txt')
        info.size = len(note)
        subset.addfile(info, io.BytesIO(note))
    if found != LSP_SUBSET:
        raise RuntimeError(f'{source}: found {found} of images 1-{LSP_SUBSET}')
    os.replace(partial, target)
    return target


def prepare(args) -> int:
    carry = osp.join(REPO, CARRY)
    if args.restore:
        paths = slim_paths()
        subprocess.run(['git', 'checkout', '--'] + paths, cwd=REPO, check=True)
        say(f'restored {len(paths)} tracked files from git: {" ".join(paths)}')
        return 0
    if not args.size_only:
        begin = time.monotonic()
        download(args, carry)
        say(f'LSP subset: {make_lsp_subset(carry)}')
        say(f'carry folder filled in {time.monotonic() - begin:.0f} s')
    if args.slim:
        removed = [p for p in slim_paths() if osp.exists(osp.join(REPO, p))]
        for path in removed:
            os.remove(osp.join(REPO, path))
        say(f'removed {len(removed)} tracked files the check does not read from the working '
            'tree; after the device call: bash tools/gpu_check_prepare.sh --restore')
    sizes = travel_report()
    print(json.dumps(sizes, indent=1) if args.json else '\n'.join([
        f"{CARRY}/: {mib(sizes['carry'])} ("
        + ', '.join(f'{osp.relpath(root, carry)}: {mib(folder_bytes(root))}'
                    for root in sorted(glob.glob(osp.join(carry, '*')))) + ')',
        f"tracked and untracked files that travel: {mib(sizes['tree'])}, of which "
        f"{mib(sizes['slimmable'])} in files the check does not read "
        f"({len(sizes['present_slim_paths'])} present: --slim removes them)",
        f"a device call now carries {mib(sizes['total'])} (limit {mib(TRAVEL_LIMIT)}); "
        f"with --slim {mib(sizes['total_slimmed'])}"]))
    if sizes['total'] > TRAVEL_LIMIT:
        say('over the limit: the device refuses the call. Run with --slim right before it.')
        return 3
    return 0


# ------------------------------------------------------------------ main

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--dry-run', action='store_true', help='the CPU, tiny sizes')
    parser.add_argument('--out', help='where the figures go (default: $OUT, else WORK/out)')
    parser.add_argument('--work', default=osp.join(REPO, 'work_dirs', 'gpu_check'))
    parser.add_argument('--only', help=f'comma-separated stages of {",".join(STAGES)}')
    parser.add_argument('--budget', type=float, default=float(sum(NOMINAL.values())),
                        help='seconds for the whole run')
    parser.add_argument('--pose-epochs', type=int, default=5,
                        help='epochs of the 1,000 LSP training images (31 iterations each)')
    parser.add_argument('--prepare', action='store_true',
                        help=f'here: fill {CARRY}/ and report what a device call carries')
    parser.add_argument('--size-only', action='store_true', help='with --prepare: sizes only')
    parser.add_argument('--slim', action='store_true',
                        help='with --prepare: remove tracked files the check does not read')
    parser.add_argument('--restore', action='store_true',
                        help='with --prepare: restore what --slim removed (git checkout)')
    parser.add_argument('--json', action='store_true', help='with --prepare: sizes as JSON')
    parser.add_argument('--profile-step', help=argparse.SUPPRESS)
    parser.add_argument('--device', default='cuda', help=argparse.SUPPRESS)
    parser.add_argument('--batch', type=int, default=64, help=argparse.SUPPRESS)
    parser.add_argument('--steps', type=int, default=5, help=argparse.SUPPRESS)
    parser.add_argument('--summary', help=argparse.SUPPRESS)
    parser.add_argument('--mentors', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.stages = [s.strip() for s in args.only.split(',')] if args.only else list(STAGES)
    unknown = set(args.stages) - set(STAGES)
    if unknown:
        parser.error(f'unknown stages {sorted(unknown)}; choose from {", ".join(STAGES)}')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.profile_step:
        profile_step(args)
        return 0
    if args.prepare:
        return prepare(args)
    return check(args)


if __name__ == '__main__':
    sys.exit(main())
