"""Resampling between resolutions that cover the same crop (inputs and pose outputs)."""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def resample_last_axes(values: Tensor, out_sizes: Sequence[int]) -> Tensor:
    """Resample the last 1 or 2 axes of ``values`` to ``out_sizes``, linearly.

    Index ``j`` of the output reads input position ``j · in_len / out_len``:
    both grids span the same region from the same origin, as MMPose's
    heatmap and SimCC grids do (``x_image = j · stride``). Positions past the
    last input cell repeat the border.
    """
    out_sizes = tuple(int(s) for s in out_sizes)
    num_axes = len(out_sizes)
    in_sizes = tuple(values.shape[-num_axes:])
    if in_sizes == out_sizes:
        return values
    lead = values.shape[:-num_axes]
    # grid_sample works on images: a line is an image one pixel high.
    image_in = ((1,) * (2 - num_axes)) + in_sizes
    image_out = ((1,) * (2 - num_axes)) + out_sizes
    axes = []
    for in_len, out_len in zip(image_in, image_out):
        position = torch.arange(out_len, device=values.device, dtype=torch.float32) * (
            in_len / out_len)
        axes.append(position / max(in_len - 1, 1) * 2 - 1)  # align_corners=True coordinates
    grid_y, grid_x = torch.meshgrid(axes[0], axes[1], indexing='ij')
    flat = values.reshape((-1, 1) + image_in).float()
    grid = torch.stack([grid_x, grid_y], -1).expand(flat.shape[0], -1, -1, -1)
    resampled = F.grid_sample(flat, grid, mode='bilinear', padding_mode='border',
                              align_corners=True)
    return resampled.reshape(lead + out_sizes).to(values.dtype)
