"""CIFAR-10 from the bundled JPEGs (``data/cifar10_jpg.tar.gz``): unpacked for MMPretrain's
``CustomDataset``, or decoded once into memory for the fast data path.

The archive holds ``train/<class>/*.jpg`` and ``test/<class>/*.jpg``. Labels follow
``CustomDataset``: the class folders in sorted order; images within a class are in file-name
order, and "the first N of each class" means the first N of that order.

Splits (:data:`SPLITS`): ``train`` (all 5,000 training images of each class, the mentor
recipe's), ``val`` (the last 500 of each class of the training images, held out),
``train_minus_val`` (the first 4,500 of each class: never a ``val`` image) and ``test``.

The fast data path (the benchmark's configs, :func:`use_in_memory_data`; the mentor recipe,
``configs/cifar10/mentor.py``) keeps the decoded images in memory (:class:`CIFAR10InMemory`)
and crops and flips whole batches on the device (:class:`RandomCropFlip`, a
``batch_augments`` step of MMPretrain's ``ClsDataPreprocessor``). Import this module to
register both (``custom_imports``); it needs MMPretrain.
"""
import functools
import json
import os
import os.path as osp
import shutil
import tarfile
from collections import defaultdict
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.registry import Registry
from mmpretrain.registry import BATCH_AUGMENTS as PRETRAIN_BATCH_AUGMENTS
from torch import Tensor

from ..compat import extract_tar
from ..registry import DATASETS, SCOPE

# Relative to the working directory, like the configs' data roots: run from the checkout.
ARCHIVE = osp.join('data', 'cifar10_jpg.tar.gz')
NUM_CLASSES = 10
TRAIN_PER_CLASS, VAL_PER_CLASS = 5000, 500
# split -> (the archive's folder it reads, its first and end position in each class; None: to
# the end)
SPLITS = {'train': ('train', 0, None),
          'train_minus_val': ('train', 0, TRAIN_PER_CLASS - VAL_PER_CLASS),
          'val': ('train', TRAIN_PER_CLASS - VAL_PER_CLASS, TRAIN_PER_CLASS),
          'test': ('test', 0, None)}
# MMPretrain builds batch augments from its own registry, which has no parent: ours is a
# child of it (MMPretrain is an optional dependency, so this registry lives here).
BATCH_AUGMENTS = Registry('batch augment', parent=PRETRAIN_BATCH_AUGMENTS, scope=SCOPE)


def prepare(out: str, train_per_class: int, test_per_class: int,
            archive: str = ARCHIVE) -> str:
    """Unpack the first N images of each class of each split into ``out`` (the layout of
    ``CustomDataset``) unless that subset is already there; return ``out``."""
    request = dict(train=train_per_class, test=test_per_class)
    stamp = osp.join(out, 'subset.json')
    if osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f) == request:
                return out
    for split in request:  # a different subset was here: start clean
        shutil.rmtree(osp.join(out, split), ignore_errors=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith('.jpg')]
        by_split_class = defaultdict(list)
        for member in members:
            split, cls, _ = member.name.split('/')
            by_split_class[split, cls].append(member)
        chosen = {m.name for (split, _), group in by_split_class.items()
                  for m in sorted(group, key=lambda m: m.name)[:request[split]]}
        # extract in archive order: seeking backwards in a gzip stream re-reads it
        extract_tar(tar, out, members=[m for m in members if m.name in chosen])
    with open(stamp, 'w') as f:
        json.dump(request, f)
    return out


def decode(jpeg: bytes) -> np.ndarray:
    """One JPEG as ``LoadImageFromFile`` reads it: (H, W, 3) uint8, BGR."""
    return mmcv.imfrombytes(jpeg, flag='color', backend='cv2')


def read_jpegs(source: str, split: str) -> Iterator[Tuple[str, str, bytes]]:
    """``(class name, file name, bytes)`` of every JPEG of ``split`` in an archive or in a
    folder that :func:`prepare` unpacked."""
    if osp.isdir(source):
        root = osp.join(source, split)
        for cls in sorted(os.listdir(root)):
            for name in sorted(os.listdir(osp.join(root, cls))):
                with open(osp.join(root, cls, name), 'rb') as f:
                    yield cls, name, f.read()
        return
    with tarfile.open(source) as tar:
        for member in tar:  # archive order: a gzip stream reads forwards only
            parts = member.name.split('/')
            if member.isfile() and parts[0] == split and member.name.endswith('.jpg'):
                yield parts[1], parts[2], tar.extractfile(member).read()


@functools.lru_cache(maxsize=4)
def decode_split(source: str, split: str) -> Tuple[Tensor, Tensor, Tuple[str, ...]]:
    """Every image of ``split``: uint8 (N, 3, H, W) BGR as ``PackInputs`` packs it, int64
    labels, class names. Decoded once per process (the whole archive takes seconds)."""
    by_class = defaultdict(list)
    for cls, name, jpeg in read_jpegs(source, split):
        by_class[cls].append((name, decode(jpeg)))
    classes = tuple(sorted(by_class))
    images, labels = [], []
    for label, cls in enumerate(classes):
        for _, image in sorted(by_class[cls], key=lambda item: item[0]):
            images.append(image)
            labels.append(label)
    images = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    return images, torch.tensor(labels), classes


def split_folder(split: str) -> str:
    """The archive's folder that ``split`` reads."""
    if split not in SPLITS:
        raise ValueError(f'unknown CIFAR-10 split {split!r}; choose one of {list(SPLITS)}')
    return SPLITS[split][0]


def in_split(labels: Tensor, split: str, per_class: Optional[int] = None) -> Tensor:
    """Which images of the split's folder (``labels`` sorted by class, each class in file-name
    order) ``split`` holds: its positions in each class, the first ``per_class`` of them."""
    _, start, end = SPLITS[split]
    if per_class is not None:
        if end is not None and per_class > end - start:
            raise ValueError(f'CIFAR-10 {split!r} holds {end - start} images per class, '
                             f'not {per_class}')
        end = start + per_class
    position = torch.arange(len(labels)) - torch.searchsorted(labels, labels)
    keep = position >= start
    return keep if end is None else keep & (position < end)


def load_split(split: str, per_class: Optional[int] = None,
               source: str = ARCHIVE) -> Tuple[Tensor, Tensor]:
    """Images and labels of ``split`` (:data:`SPLITS`), the first ``per_class`` of each class
    (all if None)."""
    images, labels, _ = decode_split(source, split_folder(split))
    keep = in_split(labels, split, per_class)
    return images[keep], labels[keep]


def wrong_labels(labels: Tensor, fraction: float, seed: int) -> Tensor:
    """A copy of ``labels`` where ``round(fraction * N)`` of them, chosen at random, are
    replaced by another class drawn uniformly from the other nine (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(labels), generator=generator)[:round(fraction * len(labels))]
    shift = torch.randint(1, NUM_CLASSES, (len(chosen),), generator=generator)
    noisy = labels.clone()
    noisy[chosen] = (labels[chosen] + shift) % NUM_CLASSES
    return noisy


@DATASETS.register_module()
class CIFAR10InMemory(BaseDataset):
    """A CIFAR-10 split decoded once and held in memory: with its default pipeline
    (``PackInputs``) each item is what ``CustomDataset`` with ``LoadImageFromFile`` and
    ``PackInputs`` gives for the same JPEG, without reading a file.

    Args:
        split: a key of :data:`SPLITS` (``'train'``, ``'train_minus_val'``, ``'val'``,
            ``'test'``).
        per_class: the first N images of each class; None for all.
        source: the archive, or a folder unpacked by :func:`prepare`.
        wrong_label_fraction: reassign this share of the labels to another class, at random
            (:func:`wrong_labels`, seeded by ``seed``): a noisy-label training set.
        kwargs: MMEngine's ``BaseDataset`` arguments (``pipeline``, ``indices``, ...).
    """

    def __init__(self, split: str = 'train', per_class: Optional[int] = None,
                 source: str = ARCHIVE, wrong_label_fraction: float = 0.0, seed: int = 0,
                 pipeline: Sequence[dict] = (dict(type='PackInputs'),), **kwargs):
        if not 0 <= wrong_label_fraction <= 1:
            raise ValueError(f'wrong_label_fraction must be in [0, 1], got '
                             f'{wrong_label_fraction}')
        self.split, self.per_class, self.source = split, per_class, source
        self.wrong_label_fraction, self.seed = wrong_label_fraction, seed
        super().__init__(metainfo=dict(classes=decode_split(source, split_folder(split))[2]),
                         pipeline=list(pipeline), serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        images, labels = load_split(self.split, self.per_class, self.source)
        if self.wrong_label_fraction:
            labels = wrong_labels(labels, self.wrong_label_fraction, self.seed)
        # (H, W, 3) BGR arrays, as LoadImageFromFile reads them
        images = images.permute(0, 2, 3, 1).numpy()
        return [dict(img=image, gt_label=int(label)) for image, label in zip(images, labels)]


def crop_flip(images: Tensor, top: Tensor, left: Tensor, flip: Tensor, padding: int = 4,
              pad_value: Union[float, Sequence[float]] = 0) -> Tensor:
    """Pad every image by ``padding`` pixels of ``pad_value`` (one value, or one per channel),
    crop it back to its size at (``top``, ``left``) and mirror it left-right where ``flip``
    holds: (N, C, H, W) -> same shape and dtype."""
    n, channels, height, width = images.shape
    fill = torch.as_tensor(pad_value, dtype=images.dtype, device=images.device)
    padded = fill.expand(channels).view(1, channels, 1, 1).expand(
        n, channels, height + 2 * padding, width + 2 * padding).clone()
    padded[:, :, padding:padding + height, padding:padding + width] = images
    padded = padded.permute(0, 2, 3, 1)  # (N, H+2p, W+2p, C)
    rows = top[:, None] + torch.arange(height, device=images.device)
    cols = left[:, None] + torch.arange(width, device=images.device)
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=images.device)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


def random_crop_flip(images: Tensor, generator: Optional[torch.Generator] = None,
                     padding: int = 4, pad_value: Union[float, Sequence[float]] = 0) -> Tensor:
    """``RandomCrop(padding=4)`` then ``RandomFlip(prob=0.5)`` on a whole batch: each offset
    is uniform over 0..2*padding, as in MMPretrain's ``RandomCrop``."""
    n, device = len(images), images.device
    top, left = torch.randint(0, 2 * padding + 1, (2, n), device=device, generator=generator)
    flip = torch.rand(n, device=device, generator=generator) < 0.5
    return crop_flip(images, top, left, flip, padding, pad_value)


@BATCH_AUGMENTS.register_module()
class RandomCropFlip:
    """:func:`random_crop_flip` as a batch augment of ``ClsDataPreprocessor``
    (``batch_augments=dict(augments=dict(type='ckd.RandomCropFlip', ...))``), on the device.

    It runs after the preprocessor's normalisation: ``pad_value`` is the padding there. The
    normalised black (``-mean / std`` per channel) gives exactly ``RandomCrop(padding=4)``
    of the image pipeline; 0 pads with the mean colour (the mentor recipe). The labels pass
    through (the preprocessor turns them into one-hot scores once it has batch augments;
    the cross-entropy is the same).

    The n-th call draws from a generator of its own, seeded with (``seed``, n); ``seed``
    defaults to torch's seed when it is built, the Runner's ``randomness.seed`` (the Runner
    seeds before it builds the model). The crops of the n-th batch thus depend on the seed
    alone, not on what else the run draws (mentors built, methods that use randomness):
    every method of one seed trains on the same crops.
    """

    def __init__(self, padding: int = 4, pad_value: Union[float, Sequence[float]] = 0.0,
                 seed: Optional[int] = None):
        self.padding, self.pad_value = padding, pad_value
        self.seed = torch.initial_seed() if seed is None else seed
        self.calls = 0

    def __call__(self, inputs: Tensor, scores: Tensor) -> Tuple[Tensor, Tensor]:
        generator = torch.Generator(inputs.device).manual_seed(
            (self.seed * 1_000_003 + self.calls) % 2**63)
        self.calls += 1
        return random_crop_flip(inputs, generator, self.padding, self.pad_value), scores.float()


def normalised_black(data_preprocessor: dict) -> list:
    """A black pixel after the preprocessor's normalisation: ``-mean / std`` per channel."""
    return [-mean / std for mean, std in zip(data_preprocessor['mean'], data_preprocessor['std'])]


def use_in_memory_data(cfg, train_per_class: Optional[int] = None,
                       test_per_class: Optional[int] = None, source: str = ARCHIVE) -> None:
    """Switch a config of ``configs/cifar10/`` to the fast data path, in place: the training
    images (the first ``train_per_class`` of each class of ``train_minus_val``: never a
    validation image), the validation images (split ``val``) of its validation loop and the
    test images of its test loop (the first ``test_per_class`` of each class, for both)
    decoded into memory (:class:`CIFAR10InMemory`), and the pipeline's
    ``RandomCrop(padding=4)`` + ``RandomFlip`` done by :class:`RandomCropFlip` on the device
    (padding with the normalised black, as the pipeline pads with black). The images, the
    labels and the augmentation are those of the JPEG pipeline; only the random draws differ.
    """
    imports = cfg.setdefault('custom_imports', dict(imports=[]))['imports']
    if __name__ not in imports:
        imports.append(__name__)
    for loader, split, per_class in (('train_dataloader', 'train_minus_val', train_per_class),
                                     ('val_dataloader', 'val', test_per_class),
                                     ('test_dataloader', 'test', test_per_class)):
        # Indexing tensors in memory needs no worker processes (and a Runner's persistent
        # workers, collected with it, take 5 s each to shut down: 1 s of work per run here).
        cfg[loader] = dict(cfg[loader], collate_fn=dict(type='default_collate'),
                           num_workers=0, persistent_workers=False,
                           dataset=dict(type=f'{SCOPE}.CIFAR10InMemory', split=split,
                                        per_class=per_class, source=source))
    cfg.data_preprocessor.batch_augments = dict(augments=dict(
        type=f'{SCOPE}.RandomCropFlip', padding=4,
        pad_value=normalised_black(cfg.data_preprocessor)))
