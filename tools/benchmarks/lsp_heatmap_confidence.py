"""Does the heatmap confidence floor change who teaches? Measured on LSP Extended.

    python tools/benchmarks/lsp_heatmap_confidence.py [--student CHECKPOINT ...]
        [--keep-visible K ...]

Reads the noisy heatmap classroom (configs/lsp/litehrnet-18_classroom_noisy.py: two strong
mentors and a weak one) over the students' 1,000 training images, in the training pipeline's
batches of 32 (seed 0), with the student at its seeded initialisation and at each
``--student`` checkpoint, and prints a table per student: what
``classroomkd_mm/experiments/lsp_confidence.py`` measures.
"""
import argparse
import os
import os.path as osp

from classroomkd_mm.datasets.lsp import prepare
from classroomkd_mm.experiments.lsp import DATA_ROOT, DEFAULT_ARCHIVE
from classroomkd_mm.experiments.lsp_confidence import build, measure

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def report(stats, names, title) -> None:
    print(f'\n{title}')
    floor = stats['floor']
    print(f'| model | visible keypoints reading <= 0 | instances below {floor} | teaches, no '
          f'floor | teaches, floor {floor} | batches where the two differ |')
    print('|---|---|---|---|---|---|')
    for index, name in enumerate(names):
        cells = [f"{stats['nonpositive'][index]:.3f}", f"{stats['below_floor'][index]:.3f}"]
        if index:
            cells += [f"{stats['active'][f][index - 1]:.3f}" for f in (0.0, floor)]
            cells.append(f"{stats['differ'][index - 1]:.3f}")
        else:
            cells += ['-'] * 3
        print(f'| {name} | ' + ' | '.join(cells) + ' |')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--student', nargs='*', default=[],
                        help='student checkpoints (e.g. the benchmark NOKD run\'s epoch_10.pth)')
    parser.add_argument('--keep-visible', type=int, nargs='*', default=[],
                        help='also measure with only K visible keypoints kept per instance')
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    args = parser.parse_args()
    os.chdir(REPO)
    prepare(args.archive, DATA_ROOT)
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    for student in [None] + args.student:
        for keep in [None] + args.keep_visible:
            distiller, loader = build(student)
            report(measure(distiller, loader, keep), ['student'] + list(distiller.mentors),
                   f"student: {student or 'seeded initialisation'}; visible keypoints per "
                   f"instance: {keep or 'all'}")


if __name__ == '__main__':
    main()
