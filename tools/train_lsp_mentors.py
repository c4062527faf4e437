"""Train the pose mentors of the LSP classrooms from scratch, test them, export them.

    python tools/train_lsp_mentors.py [--only NAME ...] [--jobs N] [--ship]

Nothing pretrained can be downloaded here, so every mentor is trained on LSP Extended
(tools/data/prepare_lsp.py) through MMEngine's Runner by its recipe in
``classroomkd_mm/experiments/lsp_mentors.py``, on CUDA when there is a GPU, else on the CPU
(one single-threaded run per core). Each is tested on the test split (images 9,001-10,000)
with the weights exactly as exported to ``work_dirs/lsp_mentors/<name>.pth``: float16,
float32 where a value would overflow, as
``{'state_dict', 'meta': {'dataset_meta': {'keypoint_id2name'}}}``. ``--ship`` copies them
all into ``data/lsp_mentors/`` (where the classroom configs look) and writes their README
(recipe, PCK, SHA-256). A finished mentor is skipped on the next call.
"""
import argparse
import os
import os.path as osp

from classroomkd_mm.datasets.lsp import prepare
from classroomkd_mm.experiments.lsp import DATA_ROOT, DEFAULT_ARCHIVE, default_jobs, run_all
from classroomkd_mm.experiments.lsp_mentors import (MENTORS, WORK, mentor_runs, ship,
                                                    train_export_and_test)
from classroomkd_mm.experiments.results import ResultStore

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', nargs='+', choices=list(MENTORS), default=list(MENTORS))
    parser.add_argument('--jobs', type=int, default=default_jobs())
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    parser.add_argument('--ship', action='store_true',
                        help='copy the mentors into data/lsp_mentors/ with a README')
    args = parser.parse_args()
    os.chdir(REPO)
    prepare(args.archive, DATA_ROOT)
    store = ResultStore(osp.join(WORK, 'results.json'))
    run_all(mentor_runs(args.only), store, WORK, args.jobs, train_export_and_test)
    for name in MENTORS:
        if name in store:
            r = store.get(name)
            print(f"{name:<20} PCK@0.2 {r['PCK']:6.2f}  EPE {r['EPE']:5.2f}  "
                  f"({r['seconds']:.0f} s)")
    if args.ship:
        ship(store.data)


if __name__ == '__main__':
    main()
