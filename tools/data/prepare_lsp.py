"""Unpack LSP Extended and convert it for MMPose, idempotently.

    python tools/data/prepare_lsp.py [--archive PATH] [--out data/lspet]

``--archive`` is the project's compact copy (``data/lspet_128.tar.gz``, the default) or the
original ``lspet_dataset.zip``; a folder already holding ``joints.mat`` and ``images/`` is
converted in place. The result is ``OUT/images/`` and ``OUT/annotations/lsp_{train,test}.json``
(images 1-9,000 train, 9,001-10,000 test), the layout ``configs/lsp/`` reads.
"""
import argparse

from classroomkd_mm.datasets.lsp import prepare
from classroomkd_mm.experiments.lsp import DATA_ROOT, DEFAULT_ARCHIVE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    parser.add_argument('--out', default=DATA_ROOT)
    args = parser.parse_args()
    print(f'LSP Extended ready in {prepare(args.archive, args.out)}')


if __name__ == '__main__':
    main()
