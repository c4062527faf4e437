"""CIFAR-10 as uint8 tensors on the device, cropped and flipped there.

The Runner's data path reads each JPEG with ``LoadImageFromFile`` (BGR), pads it by
4 black pixels and takes a random 32x32 crop (``RandomCrop``), flips it horizontally
half the time (``RandomFlip``) and packs it as a uint8 (3, H, W) tensor (``PackInputs``).
Here every image is decoded once, by the same decoder, into one uint8 tensor
(N, 3, 32, 32), BGR as ``PackInputs`` gives it, that stays on the device; a whole batch
is padded, cropped and flipped there at once (:func:`random_crop_flip`).

Labels follow ``CustomDataset``: the class folders in sorted order.
"""
import os
import os.path as osp
import tarfile
from collections import defaultdict
from typing import Optional, Tuple

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ARCHIVE = osp.join(REPO, 'data', 'cifar10_jpg.tar.gz')


def decode(jpeg: bytes) -> np.ndarray:
    """One JPEG as ``LoadImageFromFile`` reads it: (H, W, 3) uint8, BGR."""
    return mmcv.imfrombytes(jpeg, flag='color', backend='cv2')


def read_jpegs(source: str, split: str):
    """``(class name, file name, bytes)`` of every JPEG of ``split`` in an archive or folder."""
    if osp.isdir(source):
        root = osp.join(source, split)
        for cls in sorted(os.listdir(root)):
            for name in sorted(os.listdir(osp.join(root, cls))):
                with open(osp.join(root, cls, name), 'rb') as f:
                    yield cls, name, f.read()
        return
    with tarfile.open(source) as archive:
        for member in archive:  # archive order: a gzip stream reads forwards only
            parts = member.name.split('/')
            if member.isfile() and parts[0] == split and member.name.endswith('.jpg'):
                yield parts[1], parts[2], archive.extractfile(member).read()


def decode_split(source: str, split: str) -> Tuple[Tensor, Tensor, Tuple[str, ...]]:
    """Every image of ``split``: uint8 (N, 3, H, W) BGR, int64 labels, class names.

    Images are ordered by class, then by file name, like ``CustomDataset``.
    """
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


def load_split(split: str, per_class: Optional[int] = None,
               source: str = ARCHIVE) -> Tuple[Tensor, Tensor]:
    """Images and labels of ``split``, the first ``per_class`` of each class (all if None),
    from the bundled archive (decoding all of it takes a few seconds) or a folder that
    ``prepare_cifar10.py`` unpacked."""
    images, labels, _ = decode_split(source, split)
    if per_class is not None:
        rank_in_class = torch.arange(len(labels)) - torch.searchsorted(labels, labels)
        keep = rank_in_class < per_class
        images, labels = images[keep], labels[keep]
    return images, labels


def crop_flip(images: Tensor, top: Tensor, left: Tensor, flip: Tensor,
              padding: int = 4) -> Tensor:
    """Pad every image by ``padding`` zeros, crop it back to its size at (``top``,
    ``left``) and mirror it left-right where ``flip`` holds: (N, C, H, W) -> same shape."""
    n, _, height, width = images.shape
    padded = F.pad(images, (padding,) * 4).permute(0, 2, 3, 1)  # (N, H+2p, W+2p, C)
    rows = top[:, None] + torch.arange(height, device=images.device)
    cols = left[:, None] + torch.arange(width, device=images.device)
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=images.device)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


def random_crop_flip(images: Tensor, generator: Optional[torch.Generator] = None,
                     padding: int = 4) -> Tensor:
    """``RandomCrop(padding=4)`` then ``RandomFlip(prob=0.5)`` on a whole batch: each
    offset is uniform over 0..2*padding, as in MMPretrain's ``RandomCrop``."""
    n, device = len(images), images.device
    top, left = torch.randint(0, 2 * padding + 1, (2, n), device=device, generator=generator)
    flip = torch.rand(n, device=device, generator=generator) < 0.5
    return crop_flip(images, top, left, flip, padding)
