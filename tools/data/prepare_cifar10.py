"""Unpack a class-balanced subset of the bundled CIFAR-10 JPEGs, idempotently.

    python tools/data/prepare_cifar10.py --train-per-class 500 --test-per-class 100 \
        --out data/cifar10_demo

The subset is deterministic: the first N files of each class in sorted order.
The layout (``train/<class>/*.jpg``, ``test/<class>/*.jpg``) reads with
MMPretrain's ``CustomDataset``.
"""
import argparse
import json
import os.path as osp
import shutil
import tarfile
from collections import defaultdict

from classroomkd_mm.compat import extract_tar

ARCHIVE = osp.join(osp.dirname(__file__), '..', '..', 'data', 'cifar10_jpg.tar.gz')


def prepare(out: str, train_per_class: int, test_per_class: int) -> str:
    """Unpack the subset into ``out`` unless it is already there; return ``out``."""
    request = dict(train=train_per_class, test=test_per_class)
    stamp = osp.join(out, 'subset.json')
    if osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f) == request:
                return out
    for split in request:  # a different subset was here: start clean
        shutil.rmtree(osp.join(out, split), ignore_errors=True)
    with tarfile.open(ARCHIVE) as archive:
        members = [m for m in archive.getmembers() if m.isfile() and m.name.endswith('.jpg')]
        by_split_class = defaultdict(list)
        for member in members:
            split, cls, _ = member.name.split('/')
            by_split_class[split, cls].append(member)
        chosen = {m.name for (split, _), group in by_split_class.items()
                  for m in sorted(group, key=lambda m: m.name)[:request[split]]}
        # extract in archive order: seeking backwards in a gzip stream re-reads it
        chosen = [m for m in members if m.name in chosen]
        extract_tar(archive, out, members=chosen)
    with open(stamp, 'w') as f:
        json.dump(request, f)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default='data/cifar10_demo')
    parser.add_argument('--train-per-class', type=int, default=500)
    parser.add_argument('--test-per-class', type=int, default=100)
    args = parser.parse_args()
    prepare(args.out, args.train_per_class, args.test_per_class)
    print(f'CIFAR-10 subset ready in {args.out}')


if __name__ == '__main__':
    main()
