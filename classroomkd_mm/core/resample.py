"""Linear resampling between grids, in the two conventions a mentor's data uses.

* ``'grid'``: index ``j`` of a grid of length ``L`` covering a crop of width
  ``S`` sits at ``x = j · S / L``; two grids of one crop relate by
  ``x2 = x1 · L2 / L1``. MMPose's heatmap and SimCC codecs define their grids
  so, and so does ``TopdownAffine`` for the crops themselves: its warp maps the
  box centre to ``(w/2, h/2)`` in pixel indices, so crops of one box at two
  sizes relate by the same scaling.
* ``'half_pixel'``: pixel ``j`` covers ``[j, j+1)`` and its value sits at its
  centre, ``x = (j + 0.5) · S / L``: how ``cv2.resize`` and MMPretrain's
  ``Resize`` resample images (``align_corners=False``).
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

CONVENTIONS = ('grid', 'half_pixel')


def sample_bilinear(grids: Tensor, points: Tensor, shared_points: bool) -> Tensor:
    """Read ``grids`` (B, *S), S one or two axes, at ``points`` in index units, ordered
    (x[, y]): (B, P, len(S)) one set per grid, or with ``shared_points`` (1, P, len(S))
    read from every grid.

    Values between cells are interpolated linearly and positions past the edges
    repeat the border. Returns (B, P).
    """
    spatial = tuple(grids.shape[1:])
    # shared points: the grids are the channels of one image, so the points exist once
    layout = (1, -1) if shared_points else (-1, 1)
    images = grids.reshape(layout + (1,) * (2 - len(spatial)) + spatial).float()
    height, width = images.shape[-2:]
    x = points[..., 0] / max(width - 1, 1) * 2 - 1  # align_corners=True coordinates
    y = points[..., 1] / max(height - 1, 1) * 2 - 1 if len(spatial) == 2 else -torch.ones_like(x)
    grid = torch.stack([x, y], -1).unsqueeze(1).float()  # (1 or B, 1, P, 2)
    sampled = F.grid_sample(images, grid, mode='bilinear', padding_mode='border',
                            align_corners=True)
    return sampled.reshape(len(grids), points.shape[1])


def resample_last_axes(values: Tensor, out_sizes: Sequence[int]) -> Tensor:
    """Resample the last 1 or 2 axes of ``values`` to ``out_sizes`` in the grid
    convention: output index ``j`` reads input position ``j · in_len / out_len``."""
    out_sizes = tuple(int(s) for s in out_sizes)
    num_axes = len(out_sizes)
    in_sizes = tuple(values.shape[-num_axes:])
    if in_sizes == out_sizes:
        return values
    positions = [torch.arange(out_len, device=values.device, dtype=torch.float32) * (
        in_len / out_len) for in_len, out_len in zip(in_sizes, out_sizes)]
    mesh = torch.meshgrid(*positions, indexing='ij')  # (y, x) or (x,)
    points = torch.stack(mesh[::-1], -1).reshape(1, -1, num_axes)
    sampled = sample_bilinear(values.reshape((-1,) + in_sizes), points, shared_points=True)
    return sampled.reshape(values.shape[:-num_axes] + out_sizes).to(values.dtype)


def resize_images(images: Tensor, size: Sequence[int], convention: str) -> Tensor:
    """Resize a batch of images (B, C, H, W) to ``size`` (H, W), bilinearly, in
    ``convention`` (see the module doc)."""
    size = tuple(int(s) for s in size)
    if tuple(images.shape[-2:]) == size:
        return images
    if convention == 'grid':
        return resample_last_axes(images, size)
    return F.interpolate(images, size=size, mode='bilinear', align_corners=False)
