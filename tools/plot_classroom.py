"""Draw what the classroom did during a run (the paper's Figures 5 and 6) from its logs.

    python tools/plot_classroom.py WORK_DIR [--out DIR]

Reads the newest ``WORK_DIR/<timestamp>/vis_data/scalars.json`` and writes
``classroom_ranks.png`` (each mentor's rank against the student's),
``classroom_temperatures.png`` and ``classroom_activation.png`` (each mentor's
running share of steps in which it taught).
"""
import argparse
import os
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from classroomkd_mm.engine.launch import UserError, run_tool  # noqa: E402
from classroomkd_mm.experiments.scalars import (newest_scalars_file, read_records,  # noqa: E402
                                                series)

FIGURES = (
    ('rank/', 'classroom_ranks.png', 'rank r (Eq. 5)', 'Mentor ranks against the student'),
    ('temp/', 'classroom_temperatures.png', 'temperature T (Eq. 9)', 'Mentor temperatures'),
    ('active_rate/', 'classroom_activation.png', 'share of steps teaching',
     'Running activation rate'),
)


def read_series(work_dir: str) -> dict:
    """``{key: ([steps], [values])}`` of the newest run's classroom telemetry."""
    path = newest_scalars_file(work_dir)
    if path is None:
        raise UserError(f'no */vis_data/scalars.json under {work_dir!r}: is it a work dir?')
    found = series(read_records(path), tuple(prefix for prefix, *_ in FIGURES))
    if not found:
        raise UserError(f'{path} has no classroom telemetry (rank/, temp/ keys)')
    return found


def plot(work_dir: str, out_dir: str) -> list:
    found = read_series(work_dir)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for prefix, filename, ylabel, title in FIGURES:
        keys = sorted(k for k in found if k.startswith(prefix))
        if not keys:
            continue
        figure, axes = plt.subplots(figsize=(7, 4))
        for key in keys:
            name = key[len(prefix):]
            style = dict(color='black', linestyle='--', linewidth=2) if name == 'student' else {}
            axes.plot(*found[key], label=name, **style)
        axes.set(xlabel='iteration', ylabel=ylabel, title=title)
        axes.legend(fontsize='small', ncol=2)
        figure.tight_layout()
        path = osp.join(out_dir, filename)
        figure.savefig(path, dpi=120)
        plt.close(figure)
        written.append(path)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir')
    parser.add_argument('--out', help='output folder (default: WORK_DIR/plots)')
    args = parser.parse_args()
    for path in plot(args.work_dir, args.out or osp.join(args.work_dir, 'plots')):
        print(path)


if __name__ == '__main__':
    run_tool(main)
