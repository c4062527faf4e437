"""Train-and-test runs on LSP Extended for the pose mentors, benchmark and demo.

A *run* trains one config through MMEngine's Runner and tests it on the test split
(PCK@0.2, EPE). Runs are recorded in a JSON file as they finish, so an interrupted
script resumes, and independent runs can go to several worker processes: on a CPU,
single-threaded processes side by side use the cores better than one process with
several threads (small pose models are dominated by per-op overhead).
"""
import json
import os
import os.path as osp
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Dict, List, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# name, config, options (dotted keys, as --cfg-options)
Run = Tuple[str, str, Dict]


def loader_options(workers: int) -> Dict:
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.num_workers'] = workers
        options[f'{loader}.persistent_workers'] = workers > 0
    return options


def train_and_test(config: str, work_dir: str, options: Dict, threads: int = 0,
                   workers: int = 2) -> Dict[str, float]:
    """Train ``config`` with ``options``, test it: PCK (%), EPE (px), wall time (s) and,
    for a classroom, each mentor's activation rate.

    ``threads`` > 0 sets torch's thread count (a CPU worker of a parallel batch).
    """
    import torch
    if threads > 0 and not torch.cuda.is_available():
        torch.set_num_threads(threads)
    start = time.time()
    runner = build_runner(config, work_dir, options, workers)
    runner.train()
    result = dict(pose_metrics(runner.test()), seconds=round(time.time() - start, 1))
    rates = activation_rates(runner.message_hub)
    return dict(result, active=rates) if rates else result


def activation_rates(message_hub) -> Dict[str, float]:
    """Per mentor, the share of training steps (per-sample mode: of instances) it taught."""
    prefix = 'train/active/'
    return {key[len(prefix):]: float(buffer.data[0].mean())
            for key, buffer in message_hub.log_scalars.items() if key.startswith(prefix)}


def test_checkpoint(config: str, work_dir: str, checkpoint: str, workers: int = 2):
    """PCK (%) and EPE (px) of ``checkpoint``'s weights in ``config``'s model."""
    return pose_metrics(build_runner(config, work_dir, {'load_from': checkpoint},
                                     workers).test())


def build_runner(config: str, work_dir: str, options: Dict, workers: int):
    from mmengine.runner import Runner

    import classroomkd_mm  # noqa: F401
    from classroomkd_mm.engine import read_config
    cfg = read_config(osp.join(REPO, config))
    cfg.merge_from_dict(dict(loader_options(workers), **options))
    cfg.work_dir = work_dir
    cfg.train_cfg.val_begin = cfg.train_cfg.max_epochs + 1  # tested once, after training
    cfg.visualizer.name = f'visualizer:{work_dir}'
    return Runner.from_cfg(cfg)


def pose_metrics(metrics: Dict) -> Dict[str, float]:
    return dict(PCK=100 * float(metrics['PCK']), EPE=float(metrics['EPE']))


def _run_in_worker(function, run: Run, work_root: str, threads: int, workers: int):
    os.chdir(REPO)
    name, config, options = run
    return name, function(config, osp.join(work_root, name), options, threads, workers)


def run_all(runs: List[Run], results_file: str, work_root: str, jobs: int = 1,
            function: Callable[..., Dict] = train_and_test,
            log: Callable[[str], None] = print) -> Dict[str, Dict]:
    """Run every run not yet in ``results_file`` (``jobs`` at a time) and record each.

    ``function(config, work_dir, options, threads, workers)`` does one run (default
    :func:`train_and_test`) and returns its metrics.
    """
    results = json.load(open(results_file)) if osp.isfile(results_file) else {}
    todo = [run for run in runs if run[0] not in results]
    done, start = [], time.time()

    def record(name, metrics):
        results[name] = metrics
        done.append(name)
        os.makedirs(osp.dirname(osp.abspath(results_file)), exist_ok=True)
        with open(results_file, 'w') as f:
            json.dump(results, f, indent=2)
        log(f'[{len(done)}/{len(todo)} done, {time.time() - start:.0f} s] {name}: '
            f"PCK {metrics['PCK']:.2f}, EPE {metrics['EPE']:.2f} ({metrics['seconds']:.0f} s)")

    if jobs <= 1:
        for run in todo:
            log(f'running {run[0]}')
            record(*_run_in_worker(function, run, work_root, 0, 2))
        return results
    import multiprocessing
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context('spawn')) as pool:
        futures = [pool.submit(_run_in_worker, function, run, work_root, 1, 0)
                   for run in todo]
        for future in as_completed(futures):
            record(*future.result())
    return results


def default_jobs() -> int:
    """One run at a time on a GPU; one single-threaded run per core on a CPU."""
    import torch
    return 1 if torch.cuda.is_available() else max(1, min(2, os.cpu_count() or 1))
