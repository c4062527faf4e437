"""Convert LSP or LSP Extended (images + ``joints.mat``) to MMPose's COCO-style keypoint JSON.

    python tools/data/lsp_to_coco.py ROOT [--out DIR] [--train-images N]

``ROOT`` holds ``joints.mat`` and ``images/im*.jpg``; ``lsp_train.json`` (images 1..N) and
``lsp_test.json`` (the rest) go to ``--out`` (default ``ROOT/annotations``). The format and
both ``joints.mat`` layouts: ``classroomkd_mm/datasets/lsp.py``.
"""
import argparse

from classroomkd_mm.datasets.lsp import convert


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='folder holding joints.mat and images/')
    parser.add_argument('--out', help='output folder (default ROOT/annotations)')
    parser.add_argument('--train-images', type=int,
                        help='images 1..N train, the rest test (default: 9000 of LSP '
                        'Extended\'s 10,000, 1000 of LSP\'s 2,000)')
    args = parser.parse_args()
    for split, path in convert(args.root, args.out, args.train_images).items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    main()
