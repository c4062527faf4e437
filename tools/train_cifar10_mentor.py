"""Train a CIFAR-10 mentor of the CIFAR zoo with the recipe of data/cifar10_mentors/README.md.

    python tools/train_cifar10_mentor.py resnet20 work_dirs/mentors/resnet20.pth
    python tools/train_cifar10_mentor.py resnet8 weak.pth --epochs 1             # a weak mentor
    python tools/train_cifar10_mentor.py resnet8 noisy.pth --wrong-labels 0.5    # half the labels wrong

The recipe is configs/cifar10/mentor.py, trained and tested through MMEngine's Runner
(classroomkd_mm.experiments.cifar10_mentors); MMEngine's logs, config and checkpoint go to
``OUT.work/``. Runs on CUDA when there is one (``CUDA_VISIBLE_DEVICES=`` for the CPU).

The shipped mentors (data/cifar10_mentors/) were trained on one H100 with this recipe by
an earlier, hand-written loop of this script (``channels_last``, its own shuffling and crop
draws): a rerun trains the same recipe, not bit for bit the same weights. A 2-core CPU
cannot retrain them in reasonable time; they are kept as they are.
"""
import argparse
import time

import torch

from classroomkd_mm.datasets.cifar10 import ARCHIVE
from classroomkd_mm.experiments.cifar10_mentors import mentor_config, train_mentor
from classroomkd_mm.experiments.progress import Progress


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('arch', help='a CIFAR zoo architecture, e.g. resnet20 (docs/cifar_zoo.md)')
    parser.add_argument('out', help='the checkpoint to write')
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--lr', type=float, default=0.2, help='peak of the one-cycle schedule')
    parser.add_argument('--wrong-labels', type=float, default=0.0, metavar='FRACTION',
                        help='reassign this fraction of the training labels to another class, '
                        'at random (seeded): a mentor trained on noisy labels')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-amp', action='store_true', help='float32 instead of bfloat16 '
                        'autocast')
    parser.add_argument('--train-per-class', type=int, default=None,
                        help='the first N training images of each class (default: all 5,000)')
    parser.add_argument('--test-per-class', type=int, default=None,
                        help='the first N test images of each class (default: all 1,000)')
    parser.add_argument('--data', default=ARCHIVE, help='the bundled archive (default) or a '
                        'folder unpacked by tools/data/prepare_cifar10.py')
    args = parser.parse_args()
    if not 0 <= args.wrong_labels <= 1:
        parser.error(f'--wrong-labels must be in [0, 1], got {args.wrong_labels}')
    cfg = mentor_config(args.arch, args.epochs, args.batch_size, args.lr, args.wrong_labels,
                        args.seed, not args.no_amp, args.train_per_class, args.test_per_class,
                        args.data)
    start = time.time()
    with Progress(1).stage(f'{args.arch} -> {args.out}') as stage:
        top1 = train_mentor(cfg, args.out, stage)
        stage.outcome = f'top-1 {top1:.2f} %'
    test_images = 10 * args.test_per_class if args.test_per_class else 10000
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    print(f'{args.arch}: top-1 {top1:.2f} % on {test_images} test images ({device}, '
          f'{time.time() - start:.0f} s); saved {args.out}; logs in {args.out}.work')


if __name__ == '__main__':
    main()
