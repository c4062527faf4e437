"""Resampling between grids in the two conventions a mentor's data uses: pinned on hand-
computed grids, ``cv2.resize`` on a real photo, and MMPose's ``TopdownAffine`` crops."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from classroomkd_mm.core.resample import resample_last_axes, resize_images
from runner_utils import DATA

IMAGE = sorted(glob.glob(osp.join(DATA, 'coco_tiny', '*.jpg')))[0]


def test_resampling_reads_j_times_the_stride_ratio_and_repeats_the_border():
    line = torch.tensor([0.0, 2.0, 4.0, 6.0])
    assert resample_last_axes(line, (2,)).tolist() == pytest.approx([0, 4])  # positions 0, 2
    # positions 0, 0.5, ..., 3.5; the last one lies past the last cell
    assert resample_last_axes(line, (8,)).tolist() == pytest.approx([0, 1, 2, 3, 4, 5, 6, 6])
    plane = torch.arange(16.0).reshape(4, 4)  # value = 4y + x
    # y at 0, 2; x at 0, 4/3, 8/3
    expected = [0.0, 4 / 3, 8 / 3, 8.0, 8 + 4 / 3, 8 + 8 / 3]
    assert resample_last_axes(plane, (2, 3)).flatten().tolist() == pytest.approx(expected)


def gaussian(length, centre, sigma=2.0):
    return torch.exp(-(torch.arange(length, dtype=torch.float32) - centre) ** 2 / (2 * sigma ** 2))


def test_a_384x288_mentor_aligns_with_a_256x192_student():
    # A keypoint at (x=100, y=60) in the student's 192x256 crop lies at (150, 90) in the
    # mentor's 288x384 crop of the same box; heatmaps have stride 4, SimCC split ratio 2.
    heatmap = gaussian(96, 22.5)[:, None] * gaussian(72, 37.5)[None, :]  # mentor, (y, x)
    aligned = resample_last_axes(heatmap[None, None], (64, 48))
    peak = aligned.flatten().argmax().item()
    assert (peak % 48, peak // 48) == (25, 15)
    simcc_x = resample_last_axes(gaussian(576, 300.0)[None, None], (384,))
    assert simcc_x.argmax().item() == 200
    image = torch.zeros(1, 3, 256, 192)
    image[..., 60, 100] = 1.0
    mentor_view = resample_last_axes(image, (384, 288))
    assert mentor_view[0, 0, 90, 150].item() == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize('size', [(224, 224), (48, 40)])
def test_image_resizing_is_cv2s_half_pixel_bilinear(size):
    image = cv2.imread(IMAGE)[:64, :64].astype(np.float32)
    batch = torch.from_numpy(image).permute(2, 0, 1)[None].contiguous()
    expected = cv2.resize(image, size[::-1], interpolation=cv2.INTER_LINEAR)
    resized = resize_images(batch, size, 'half_pixel')[0].permute(1, 2, 0).numpy()
    assert np.abs(resized - expected).max() < 1e-3
    grid = resize_images(batch, size, 'grid')[0].permute(1, 2, 0).numpy()
    assert np.abs(grid - expected).max() > 1.0  # the pose convention would shift the image


def test_topdown_crops_of_one_box_relate_in_the_grid_convention():
    # MMPose's TopdownAffine maps the box centre to (w/2, h/2): a 384x288 crop of a box is
    # its 256x192 crop resampled with x2 = x1 · 288/192, not with half-pixel centres.
    from mmpose.datasets.transforms import TopdownAffine
    image = cv2.imread(IMAGE).astype(np.float32)

    def crop(size):
        results = dict(img=image.copy(), img_shape=image.shape[:2],
                       bbox_center=np.array([[320.0, 240.0]], np.float32),
                       bbox_scale=np.array([[150.0, 200.0]], np.float32),
                       bbox_rotation=np.zeros(1, np.float32))
        return torch.from_numpy(TopdownAffine(input_size=size)(results)['img'])

    small, large = crop((192, 256)), crop((288, 384))
    errors = {}
    for convention in ('grid', 'half_pixel'):
        resampled = resize_images(small.permute(2, 0, 1)[None], (384, 288), convention)
        errors[convention] = (resampled[0].permute(1, 2, 0) - large)[8:-8, 8:-8].abs().mean()
    assert errors['grid'] < 0.6 * errors['half_pixel']
