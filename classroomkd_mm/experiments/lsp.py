"""Pose experiments on LSP Extended: the two classrooms and the methods the benchmark compares,
and their runs, one single-threaded process per core on a CPU.

A run trains a config through MMEngine's Runner and tests it on the test split (PCK@0.2 in %,
EPE in pixels), or, to choose ClassroomKD's τ0 (:mod:`.tau_selection`), on the validation
split: the last 1,000 training images, which no student trains on (the shipped mentors
trained on all 9,000). On a CPU, single-threaded processes side by side use the cores better
than one process with several threads: small pose models are dominated by per-operator
overhead.
Paths are relative to the checkout's root, where the tools run.
"""
import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import nullcontext
from typing import Callable, Dict, Hashable, List, Mapping, NamedTuple, Optional, Tuple

from mmengine.config import Config

from ..datasets.lsp import ANNOTATIONS, DEFAULT_TRAIN_IMAGES, VAL_IMAGES, validation_indices
from ..engine.config_files import read_config
from ..mentor_cache import sharing_mentor_outputs
from . import tau_selection
from .methods import method_config
from .results import ResultStore
from .runs import test_checkpoint, train_and_test
from .stats import activation_rates

DEFAULT_ARCHIVE = 'data/lspet_128.tar.gz'  # LSP Extended, compacted to 128 px and shipped
DATA_ROOT = 'data/lspet'  # where configs/lsp/ read it
# the students train on the first 1,000 of the 9,000 training images (at most 8,000: the last
# 1,000 are the validation split)
STUDENT_IMAGES = 1000
GRIDS = tau_selection.POSE_GRIDS
CLASSROOMS = {
    'heatmap': dict(title='LiteHRNet-18 student, heatmap classroom',
                    clean='configs/lsp/litehrnet-18_classroom.py',
                    noisy='configs/lsp/litehrnet-18_classroom_noisy.py',
                    mentors=('litehrnet-30', 'litehrnet-18'), weak='litehrnet-18_weak'),
    'simcc': dict(title='RTMPose-t student, SimCC classroom',
                  clean='configs/lsp/rtmpose-t_classroom.py',
                  noisy='configs/lsp/rtmpose-t_classroom_noisy.py',
                  mentors=('rtmpose-s', 'rtmpose-t'), weak='rtmpose-t_weak'),
}


class Method(NamedTuple):
    """A method of :mod:`.methods` on a classroom: the clean one, or the noisy one (the clean
    mentors and a weak one), with config ``options``, in ``classrooms``."""
    method: str
    noisy: bool = False
    options: Dict = {}
    classrooms: Tuple[str, ...] = tuple(CLASSROOMS)
    label: str = ''

    @property
    def title(self) -> str:
        return self.label or (f'noisy: {self.method}' if self.noisy else self.method)


# run name part -> method, in the order the report lists them
METHODS = {
    'nokd': Method('NOKD'),
    'aver': Method('AVER'),
    'aver_matched': Method('AVER α=λ'),
    'ca_mkd': Method('CA-MKD (logits)'),
    'ca_mkd_matched': Method('CA-MKD (logits) α=λ'),
    'classroomkd': Method('ClassroomKD'),
    'per_sample': Method('per-sample KF'),
    'kf_off': Method('KF off'),
    'noisy_aver': Method('AVER', noisy=True),
    'noisy_ca_mkd': Method('CA-MKD (logits)', noisy=True),
    'noisy_classroomkd': Method('ClassroomKD', noisy=True),
    # the two heatmap design points: the alternatives to the classroom's defaults
    'heatmap_beta_1': Method('ClassroomKD', options={'model.adapter.heatmap_beta': 1.0},
                             classrooms=('heatmap', ), label='ClassroomKD, heatmap_beta 1'),
    'no_floor': Method('ClassroomKD', options={'model.adapter.heatmap_floor': 0.0},
                       classrooms=('heatmap', ), label='ClassroomKD, no floor'),
}


class Run(NamedTuple):
    """A config file, the method of :mod:`.methods` applied to it (None: the file as it is)
    and config options (dotted keys, as ``--cfg-options``)."""
    name: str
    config: str
    method: Optional[str] = None
    options: Dict = {}

    def build(self) -> Config:
        cfg = read_config(self.config)
        return method_config(cfg, self.method) if self.method else cfg


def run_name(classroom: str, method: str, seed: int) -> str:
    return f'{classroom}/{method}/seed{seed}'


def student_options(seed: int, images: int = STUDENT_IMAGES) -> Dict:
    """A student on the first ``images`` training images, seeded."""
    most = DEFAULT_TRAIN_IMAGES[10000] - VAL_IMAGES
    if not 0 < images <= most:
        raise ValueError(f'a student trains on 1 to {most} images (the last {VAL_IMAGES} are '
                         f'the validation split), got {images}')
    return {'train_dataloader.dataset.indices': images, 'randomness.seed': seed}


def evaluation_options(split: str) -> Dict:
    """Config options that test a run on ``split``: 'test' (the config's own), or 'val' (the
    last :data:`~classroomkd_mm.datasets.lsp.VAL_IMAGES` training images)."""
    if split == 'test':
        return {}
    if split != 'val':
        raise ValueError(f"split must be 'test' or 'val', got {split!r}")
    return {'test_dataloader.dataset.ann_file': ANNOTATIONS[0],
            'test_dataloader.dataset.indices': validation_indices()}


def benchmark_runs(classrooms, methods, seeds, chosen: Optional[Dict] = None,
                   images: int = STUDENT_IMAGES) -> List[Run]:
    """The runs of ``methods`` (keys of :data:`METHODS`) in ``classrooms``, seed by seed: each
    student on the first ``images`` training images, with the temperatures
    ``chosen[classroom]`` (:func:`chosen_temperatures`; the configs' own when None)."""
    runs = []
    for classroom in classrooms:
        for seed in seeds:
            for key in methods:
                method = METHODS[key]
                if classroom not in method.classrooms:
                    continue
                config = CLASSROOMS[classroom]['noisy' if method.noisy else 'clean']
                options = dict(method.options, **student_options(seed, images),
                               **tau_selection.chosen_options(
                                   method.method, (chosen or {}).get(classroom, {}), GRIDS))
                runs.append(Run(run_name(classroom, key, seed), config, method.method, options))
    return runs


def sweep_configs(classroom: str, methods, seed: int, work_dir: str,
                  options: Optional[Dict] = None) -> Dict[str, Config]:
    """The configs of one seed's ``methods`` (keys of :data:`METHODS`) in ``classroom``, as
    the benchmark trains them (no loader workers; ``options`` on top), by run name: the runs
    of one :func:`.sweep.sweep` in ``work_dir``."""
    configs = {}
    for run in benchmark_runs([classroom], methods, [seed]):
        cfg = run.build()
        cfg.merge_from_dict({**run_options(os.path.join(work_dir, run.name), 0),
                             **run.options, **(options or {})})
        configs[run.name] = cfg
    return configs


def validation_runs(classrooms, methods, seeds, images: int = STUDENT_IMAGES) -> List[Run]:
    """The runs that choose the temperatures ``methods`` (keys of :data:`METHODS`) train
    with: every value of their grids in each clean classroom, trained as the students are,
    tested on the validation split."""
    grids = tau_selection.needed(GRIDS, [METHODS[key].method for key in methods])
    return [Run(tau_selection.run_key(classroom, method, value, seed),
                CLASSROOMS[classroom]['clean'], method,
                dict(student_options(seed, images), **grid.options(value),
                     **evaluation_options('val')))
            for classroom in classrooms for seed in seeds
            for method, grid in grids.items() for value in grid.values]


def chosen_temperatures(results: Mapping[str, Dict], classrooms) -> Dict[str, Dict[str, float]]:
    """``{classroom: {method: value}}`` chosen on the recorded validation runs (PCK)."""
    return {classroom: tau_selection.choose(tau_selection.scores(results, classroom, 'PCK'),
                                            GRIDS) for classroom in classrooms}


def stale(runs: List[Run], store: ResultStore) -> List[str]:
    """The names of ``runs`` recorded in ``store`` with other temperatures or another number
    of training images than they now train with."""
    return [run.name for run in runs if run.name in store and recorded_settings(
        store.get(run.name)) != recorded_settings(settings_of(run))]


def settings_of(run: Run) -> Dict:
    """What a result of ``run`` records of how it trained: its training images and the
    temperatures it set (when it sets them)."""
    temperatures = tau_selection.temperatures(run.options)
    return dict(images=run.options.get('train_dataloader.dataset.indices'),
                **({'temperatures': temperatures} if temperatures else {}))


def recorded_settings(result: Mapping) -> Tuple:
    return result.get('images'), result.get('temperatures', {})


def run_options(work_dir: str, workers: int) -> Dict:
    """Data loader workers, and a visualizer of the run's own: MMPose's configs name theirs
    'visualizer', and MMEngine keeps one instance per name in a process."""
    options = {'visualizer.name': f'visualizer:{os.path.abspath(work_dir)}'}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.num_workers'] = workers
        options[f'{loader}.persistent_workers'] = workers > 0
    return options


def pose_result(metrics: Dict, start: float) -> Dict:
    """PCK (%), EPE (px), the seconds since ``start`` and, for a classroom, each mentor's
    activation rate (``active``)."""
    result = dict(PCK=100 * float(metrics['PCK']), EPE=float(metrics['EPE']),
                  seconds=round(time.time() - start, 1))
    rates = activation_rates(metrics)
    return dict(result, active=rates) if rates else result


def train_and_test_run(run: Run, work_dir: str, workers: int = 2, progress=None) -> Dict:
    """Train ``run``, then test it once: :func:`pose_result` and :func:`settings_of`."""
    start = time.time()
    metrics = train_and_test(run.build(), work_dir,
                             dict(run_options(work_dir, workers), **run.options), progress=progress)
    return dict(pose_result(metrics, start), **settings_of(run))


def evaluate_run(run: Run, work_dir: str, workers: int = 2, progress=None) -> Dict:
    """Test the weights that ``run.options['load_from']`` names: :func:`pose_result`."""
    start = time.time()
    options = dict(run.options)
    checkpoint = options.pop('load_from')
    metrics = test_checkpoint(run.build(), checkpoint, work_dir,
                              dict(run_options(work_dir, workers), **options), progress=progress)
    return pose_result(metrics, start)


def default_jobs() -> int:
    """One run at a time on a GPU; one single-threaded run per core (two at most) on a CPU."""
    import torch
    return 1 if torch.cuda.is_available() else max(1, min(2, os.cpu_count() or 1))


RunFunction = Callable[[Run, str, int, object], Dict]


def classroom_and_seed(run: Run) -> Tuple[str, int]:
    """What the runs that can share their mentors' outputs have in common: the classroom
    (the first part of a benchmark or validation run's name) and the seed."""
    return run.name.split('/')[0], run.options['randomness.seed']


def run_all(runs: List[Run], store: ResultStore, work_root: str, jobs: int = 1,
            function: RunFunction = train_and_test_run, progress=None,
            done: Callable[[Run, Dict], None] = lambda run, result: None,
            share_by: Optional[Callable[[Run], Hashable]] = None) -> None:
    """Run every run not yet in ``store``, ``jobs`` at a time (CPU processes of one thread
    each), and put each result in ``store`` as it finishes; ``done(run, result)`` follows.

    ``function(run, work_dir, workers, progress)`` does one run in ``work_root/<name>``
    (default :func:`train_and_test_run`). ``progress`` (a
    :class:`~classroomkd_mm.experiments.progress.Stage`) follows the steps of all the runs.
    ``share_by`` (e.g. :func:`classroom_and_seed`): the runs of one ``share_by(run)`` are one
    job, run in turn in one process, sharing their mentors' outputs
    (:func:`~classroomkd_mm.mentor_cache.sharing_mentor_outputs`); without it, every run is
    a job of its own.
    """
    jobs_todo = {}
    for run in runs:
        if run.name not in store:
            jobs_todo.setdefault(share_by(run) if share_by else run.name, []).append(run)
    if jobs <= 1 or len(jobs_todo) <= 1:
        for job in jobs_todo.values():
            for run, result in run_job(function, job, work_root, store, 2, lambda run: progress):
                done(run, result)
        return
    context = multiprocessing.get_context('spawn')
    with context.Manager() as manager, ProcessPoolExecutor(jobs, mp_context=context) as pool:
        queue = manager.Queue()
        running = {pool.submit(_in_worker, function, job, work_root, store.path, queue)
                   for job in jobs_todo.values()}
        steps = StepsOfRuns(progress)
        while running:
            finished, running = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            steps.read(queue)
            for future in finished:
                for run, result in future.result():
                    done(run, result)
    store.read()  # what the workers recorded


def run_job(function: RunFunction, job: List[Run], work_root: str, store: ResultStore,
            workers: int, progress: Callable[[Run], object]) -> List[Tuple[Run, Dict]]:
    """The runs of ``job`` in turn, each result put in ``store`` as it finishes; several
    share their mentors' outputs."""
    done = []
    with sharing_mentor_outputs() if len(job) > 1 else nullcontext():
        for run in job:
            store.put(run.name, function(run, os.path.join(work_root, run.name), workers,
                                         progress(run)))
            done.append((run, store.get(run.name)))
    return done


def _in_worker(function: RunFunction, job: List[Run], work_root: str, store: str,
               queue) -> List[Tuple[Run, Dict]]:
    import torch
    if not torch.cuda.is_available():
        torch.set_num_threads(1)
    return run_job(function, job, work_root, ResultStore(store), 0,
                   lambda run: QueuedStage(queue, run.name))


class QueuedStage:
    """A worker process's stand-in for a progress stage: it sends the steps to the parent."""

    def __init__(self, queue, name: str):
        self.queue, self.name, self.sent = queue, name, 0.0

    def update(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.sent > 0.2 or done == total:
            self.sent = now
            self.queue.put((self.name, phase, done, total))


class StepsOfRuns:
    """The steps of several runs as one progress line: their training steps together, then
    their test steps."""

    def __init__(self, progress):
        self.progress, self.steps = progress, {}

    def read(self, queue) -> None:
        while not queue.empty():
            name, phase, done, total = queue.get()
            self.steps[name, phase] = (done, total)
        if self.progress is None or not self.steps:
            return
        phases = {phase for _, phase in self.steps}
        phase = 'test' if 'test' in phases and self._finished('train') else 'train'
        counts = [v for (_, p), v in self.steps.items() if p == phase]
        self.progress.update(phase, sum(d for d, _ in counts), sum(t for _, t in counts))

    def _finished(self, phase: str) -> bool:
        return all(d == t for (_, p), (d, t) in self.steps.items() if p == phase)
