"""A sweep: several methods (or hyperparameters) of one seed trained in one process, one after
the other, sharing the mentors' outputs.

Each run trains and tests its config through MMEngine's Runner (:func:`.runs.train_and_test`,
the same ``train_step``), while :func:`~classroomkd_mm.mentor_cache.sharing_mentor_outputs`
keeps every mentor output computed: the runs of one seed see the same batches, so each
mentor runs once per batch over the whole sweep, and every run's losses are those it has
trained alone.
"""
import os.path as osp
import time
from typing import Callable, Dict, Optional

from mmengine.config import Config

from ..mentor_cache import MentorOutputCache, sharing_mentor_outputs
from . import runs


def sweep(configs: Dict[str, Config], work_dir: str,
          cache: Optional[MentorOutputCache] = None,
          train: Callable[[Config, str], Dict] = runs.train_and_test,
          on_result: Optional[Callable[[str, dict], None]] = None) -> Dict[str, dict]:
    """Train then test each config in turn with ``train(cfg, work_dir/<name>)``, sharing the
    mentors' outputs (in ``cache``, a new one by default).

    Every config must set the same ``randomness.seed``. Returns, by name (and passes to
    ``on_result(name, result)`` as each run ends): ``metrics`` (what ``train`` returns),
    ``seconds``, and the run's mentor lookups, ``mentor_hits`` and ``mentor_misses`` (one per
    mentor and batch).
    """
    seeds = {cfg.get('randomness', {}).get('seed') for cfg in configs.values()}
    if len(seeds) != 1 or None in seeds:
        raise ValueError(f'a sweep trains the methods of one seed: every config needs the same '
                         f'randomness.seed, got {sorted(map(str, seeds))}')
    results = {}
    with sharing_mentor_outputs(cache) as shared:
        for name, cfg in configs.items():
            hits, misses, start = shared.hits, shared.misses, time.perf_counter()
            metrics = train(cfg, osp.join(work_dir, name))
            results[name] = dict(metrics=metrics, seconds=time.perf_counter() - start,
                                 mentor_hits=shared.hits - hits,
                                 mentor_misses=shared.misses - misses)
            if on_result is not None:
                on_result(name, results[name])
    return results


def sweep_cost(configs: Dict[str, Config], alone: str, work_dir: str) -> dict:
    """The sweep of ``configs`` against the run of ``configs[alone]`` by itself (its mentors
    computed at every step): ``sweep_seconds``, ``alone_seconds``, their ``ratio``, the
    sweep's ``mentor_hits`` and ``mentor_misses``, and its ``runs``. The sweep goes first, so
    that it pays the process's one-time costs (data decoding, imports): the ratio errs high.
    """
    start = time.perf_counter()
    results = sweep(configs, osp.join(work_dir, 'sweep'))
    sweep_seconds = time.perf_counter() - start
    start = time.perf_counter()
    runs.train_and_test(configs[alone], osp.join(work_dir, 'alone', alone))
    alone_seconds = time.perf_counter() - start
    return dict(sweep_seconds=sweep_seconds, alone_seconds=alone_seconds,
                ratio=sweep_seconds / alone_seconds,
                mentor_hits=sum(run['mentor_hits'] for run in results.values()),
                mentor_misses=sum(run['mentor_misses'] for run in results.values()),
                runs=results)
