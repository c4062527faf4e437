"""Unpack a class-balanced subset of the bundled CIFAR-10 JPEGs, idempotently.

    python tools/data/prepare_cifar10.py --train-per-class 500 --test-per-class 100 \
        --out data/cifar10_demo

The subset is deterministic: the first N files of each class in sorted order. The layout
(``train/<class>/*.jpg``, ``test/<class>/*.jpg``) reads with MMPretrain's ``CustomDataset``
(classroomkd_mm.datasets.cifar10.prepare).
"""
import argparse

from classroomkd_mm.datasets.cifar10 import ARCHIVE, prepare


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/cifar10_demo')
    parser.add_argument('--train-per-class', type=int, default=500)
    parser.add_argument('--test-per-class', type=int, default=100)
    parser.add_argument('--archive', default=ARCHIVE)
    args = parser.parse_args()
    prepare(args.out, args.train_per_class, args.test_per_class, args.archive)
    print(f'CIFAR-10 subset ready in {args.out}')


if __name__ == '__main__':
    main()
