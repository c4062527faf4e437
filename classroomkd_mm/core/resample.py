"""Linear sampling on grids that cover the same crop (inputs and pose outputs)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def sample_bilinear(grids: Tensor, points: Tensor) -> Tensor:
    """Read ``grids`` (B, *S), S one or two axes, at ``points`` (B, P, len(S)), or at
    ``points`` (1, P, len(S)) shared by every grid.

    Points are in index units, ordered (x[, y]); values between cells are
    interpolated linearly and positions past the edges repeat the border.
    Returns (B, P).
    """
    spatial = tuple(grids.shape[1:])
    # shared points: the grids are the channels of one image, so the points exist once
    layout = (1, -1) if len(points) == 1 else (-1, 1)
    images = grids.reshape(layout + (1,) * (2 - len(spatial)) + spatial).float()
    height, width = images.shape[-2:]
    x = points[..., 0] / max(width - 1, 1) * 2 - 1  # align_corners=True coordinates
    y = points[..., 1] / max(height - 1, 1) * 2 - 1 if len(spatial) == 2 else -torch.ones_like(x)
    grid = torch.stack([x, y], -1).unsqueeze(1).float()  # (1 or B, 1, P, 2)
    sampled = F.grid_sample(images, grid, mode='bilinear', padding_mode='border',
                            align_corners=True)
    return sampled.reshape(len(grids), points.shape[1])


def resample_last_axes(values: Tensor, out_sizes: Sequence[int]) -> Tensor:
    """Resample the last 1 or 2 axes of ``values`` to ``out_sizes``, linearly.

    Index ``j`` of the output reads input position ``j · in_len / out_len``:
    both grids span the same region from the same origin, as MMPose's
    heatmap and SimCC grids do (``x_image = j · stride``).
    """
    out_sizes = tuple(int(s) for s in out_sizes)
    num_axes = len(out_sizes)
    in_sizes = tuple(values.shape[-num_axes:])
    if in_sizes == out_sizes:
        return values
    positions = [torch.arange(out_len, device=values.device, dtype=torch.float32) * (
        in_len / out_len) for in_len, out_len in zip(in_sizes, out_sizes)]
    mesh = torch.meshgrid(*positions, indexing='ij')  # (y, x) or (x,)
    points = torch.stack(mesh[::-1], -1).reshape(1, -1, num_axes)
    sampled = sample_bilinear(values.reshape((-1,) + in_sizes), points)
    return sampled.reshape(values.shape[:-num_axes] + out_sizes).to(values.dtype)
