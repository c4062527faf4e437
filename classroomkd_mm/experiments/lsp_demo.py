"""``make demo-pose``: a pose student alone and with ClassroomKD on LSP Extended, on the CPU.

1. unpack and convert LSP Extended (:func:`~classroomkd_mm.datasets.lsp.prepare`);
2. test the heatmap classroom's two shipped mentors (data/lsp_mentors/: LiteHRNet-30 and
   LiteHRNet-18, trained on all 9,000 training images) on the 1,000 test images;
3. train the LiteHRNet-18 student on the first 1,000 training images for 10 epochs, alone
   (NOKD) and in the classroom (ClassroomKD), side by side on a CPU's two cores, and test it;
4. print every model's PCK@0.2 and EPE, and the mentors' activation rates.

Each stage prints one line (a progress bar on a terminal); MMEngine's logs and configs go to
the work dir. On the CPU the runs are deterministic (``randomness.deterministic``), so a rerun
from scratch prints the same table. With seed 0 the students are seed 0 of the benchmark's
heatmap classroom (:mod:`.lsp`). Finished stages are recorded in ``<work dir>/results.json``
and skipped by a rerun.
"""
import os.path as osp
from typing import TextIO

import torch

from ..datasets.lsp import prepare
from ..engine.config_files import read_config
from .lsp import (CLASSROOMS, DATA_ROOT, METHODS, STUDENT_IMAGES, Run, benchmark_runs,
                  default_jobs, evaluate_run, run_all, train_and_test_run)
from .progress import Progress
from .results import ResultStore

STUDENTS = ('nokd', 'classroomkd')


def outcome(store: ResultStore, runs, titles) -> str:
    pck = (f"{title} {store.get(run.name)['PCK']:.2f}" for run, title in zip(runs, titles))
    return ', '.join(pck) + ' (PCK@0.2, %)'


def run_demo(work: str, archive: str, seed: int = 0, stream: TextIO = None) -> str:
    """Run (or resume) the demo with its work dir ``work`` on the LSP Extended ``archive``;
    its table."""
    mentors = [Run(m.name, m.config, options={'load_from': m.checkpoint})
               for m in read_config(CLASSROOMS['heatmap']['clean']).model.mentors]
    students = benchmark_runs(['heatmap'], STUDENTS, [seed])
    if not torch.cuda.is_available():  # CUDA has no deterministic kernels for some ops
        students = [run._replace(options=dict(run.options, **{'randomness.deterministic': True}))
                    for run in students]
    store = ResultStore(osp.join(work, 'results.json'))
    progress = Progress(3, stream, label_width=36)
    with progress.stage('unpack and convert LSP Extended') as stage:
        stage.outcome = f'in {prepare(archive, DATA_ROOT)}/'
    titles = [METHODS[key].title for key in STUDENTS]
    for label, runs, names, function in (
            ('test the mentors', mentors, [run.name for run in mentors], evaluate_run),
            ('train and test the students', students, titles, train_and_test_run)):
        if all(run.name in store for run in runs):
            progress.skip(label, outcome(store, runs, names))
            continue
        with progress.stage(label) as stage:
            run_all(runs, store, work, default_jobs(), function, progress=stage)
            stage.outcome = outcome(store, runs, names)
    lines = [f'LSP Extended, 64x64 crops: students on {STUDENT_IMAGES} training images for 10 '
             f'epochs (seed {seed}), mentors on 9000; 1000 test images',
             f"{'model':<26}{'role':<9}{'PCK@0.2 (%)':>12}{'EPE (px)':>10}"]
    rows = [(mentor.name, 'mentor', store.get(mentor.name)) for mentor in mentors]
    rows += [(f'litehrnet-18 {title}', 'student', store.get(run.name))
             for title, run in zip(titles, students)]
    lines += [f"{name:<26}{role:<9}{result['PCK']:>12.2f}{result['EPE']:>10.2f}"
              for name, role, result in rows]
    rates = store.get(students[1].name)['active']
    lines.append('ClassroomKD activation rates: '
                 + ', '.join(f'{name} {rate:.2f}' for name, rate in rates.items()))
    return '\n'.join(lines)
