"""Pose adapter math pinned on constructed heatmaps and SimCC vectors."""
import math

import pytest
import torch
from mmengine.structures import InstanceData, PixelData

from classroomkd_mm.adapters.pose import PoseAdapter, sample_keypoints
from classroomkd_mm.core import per_sample_distillation
from classroomkd_mm.core.resample import resample_last_axes


class Head(torch.nn.Module):
    def __init__(self, simcc=False, beta=1.0):
        super().__init__()
        if simcc:
            self.simcc_split_ratio = 2.0
            self.loss_module = torch.nn.Module()
            self.loss_module.beta = beta


class Estimator(torch.nn.Module):
    def __init__(self, **head):
        super().__init__()
        self.head = Head(**head)


def sample(weights, heatmaps=None, x_labels=None, y_labels=None, keypoints=None,
           input_size=(8, 8)):
    """A PoseDataSample-like record with the fields the adapter reads."""
    from mmpose.structures import PoseDataSample
    data = PoseDataSample(metainfo=dict(input_size=input_size))
    labels = InstanceData(keypoint_weights=torch.tensor([weights], dtype=torch.float32))
    if x_labels is not None:
        labels.keypoint_x_labels = torch.tensor([x_labels], dtype=torch.float32)
        labels.keypoint_y_labels = torch.tensor([y_labels], dtype=torch.float32)
    data.gt_instance_labels = labels
    data.gt_instances = InstanceData()
    if keypoints is not None:
        data.gt_instances.transformed_keypoints = torch.tensor([keypoints])
    if heatmaps is not None:
        data.gt_fields = PixelData(heatmaps=heatmaps)
    return data


def test_bilinear_sample_at_a_fractional_location():
    heatmap = torch.arange(16.0).reshape(1, 1, 4, 4)  # value = 4y + x
    # (x=1.5, y=2.25): 4·2.25 + 1.5 = 10.5 on a plane
    assert sample_keypoints(heatmap, torch.tensor([[[1.5, 2.25]]])).item() == pytest.approx(10.5)
    line = torch.tensor([[[0.0, 2.0, 4.0]]])
    assert sample_keypoints(line, torch.tensor([[[0.5]]])).item() == pytest.approx(1.0)


def test_resampling_reads_j_times_the_stride_ratio_and_repeats_the_border():
    line = torch.tensor([0.0, 2.0, 4.0, 6.0])
    assert resample_last_axes(line, (2,)).tolist() == pytest.approx([0, 4])  # positions 0, 2
    # positions 0, 0.5, ..., 3.5; the last one lies past the last cell
    assert resample_last_axes(line, (8,)).tolist() == pytest.approx([0, 1, 2, 3, 4, 5, 6, 6])
    plane = torch.arange(16.0).reshape(4, 4)  # value = 4y + x
    # y at 0, 2; x at 0, 4/3, 8/3
    expected = [0.0, 4 / 3, 8 / 3, 8.0, 8 + 4 / 3, 8 + 8 / 3]
    assert resample_last_axes(plane, (2, 3)).flatten().tolist() == pytest.approx(expected)


def test_heatmap_confidence_weighted_over_visible_keypoints():
    # Three keypoints; the GT sits at (x=1, y=2), (x=3, y=0) and (x=0, y=0) in a 4x4 heatmap.
    predicted = torch.zeros(2, 3, 4, 4)
    predicted[0, 0, 2, 1], predicted[0, 1, 0, 3], predicted[0, 2, 0, 0] = 0.8, 0.4, 0.9
    target = torch.zeros(3, 4, 4)
    target[0, 2, 1] = target[1, 0, 3] = target[2, 0, 0] = 1.0
    samples = [sample([1.0, 0.5, 0.0], heatmaps=target),  # third keypoint invisible
               sample([0.0, 0.0, 0.0], heatmaps=target)]  # no visible keypoint at all
    [confidence], valid = PoseAdapter(Estimator()).confidences([predicted], samples)
    assert confidence[0].item() == pytest.approx((1.0 * 0.8 + 0.5 * 0.4) / 1.5)
    assert valid.tolist() == [True, False]


def test_heatmap_confidence_reads_transformed_keypoints_bilinearly():
    predicted = torch.arange(16.0).reshape(1, 1, 4, 4) / 16  # value = (4y + x)/16
    # input 8x8 → heatmap 4x4: keypoint (3, 4.5) in the crop lies at (1.5, 2.25) in the heatmap
    samples = [sample([1.0], keypoints=[[3.0, 4.5]])]
    [confidence], _ = PoseAdapter(Estimator()).confidences([predicted], samples)
    assert confidence.item() == pytest.approx(10.5 / 16)


def test_simcc_confidence_is_the_geometric_mean_of_both_axes():
    # Keypoint 0: x logits [ln 3, 0, 0, 0] → p(bin 0) = 3/6; y logits uniform over 4 → 1/4.
    # Keypoint 1 is invisible. β = 1.
    pred_x = torch.tensor([[[math.log(3), 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]])
    pred_y = torch.zeros(1, 2, 4)
    x_labels = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    y_labels = [[0.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 0.0]]
    samples = [sample([1.0, 0.0], x_labels=x_labels, y_labels=y_labels)]
    adapter = PoseAdapter(Estimator(simcc=True, beta=1.0))
    [confidence], valid = adapter.confidences([(pred_x, pred_y)], samples)
    assert confidence.item() == pytest.approx(math.sqrt(0.5 * 0.25))
    # β scales the logits as the head's KLDiscretLoss does: softmax(2·[ln 3, 0, 0, 0])[0] = 9/12
    [sharper], _ = PoseAdapter(Estimator(simcc=True, beta=2.0)).confidences(
        [(pred_x, pred_y)], samples)
    assert sharper.item() == pytest.approx(math.sqrt(0.75 * 0.25))


def test_pose_distillation_is_visibility_weighted_kl_per_keypoint():
    # One instance, two keypoints, 2-pixel "heatmaps"; only keypoint 0 is visible.
    adapter = PoseAdapter(Estimator(), heatmap_beta=1.0)  # Eq. 7 on the raw values
    student = torch.zeros(1, 2, 1, 2)
    mentor = torch.tensor([[[[math.log(3) * 2, 0.0]], [[5.0, -5.0]]]])  # (N, K, H, W)
    row_weights = adapter.row_weights([sample([1.0, 0.0], heatmaps=torch.zeros(2, 1, 2))],
                                      'cpu')
    loss = per_sample_distillation(adapter.logit_groups(student),
                                   [torch.stack([g]) for g in adapter.logit_groups(mentor)],
                                   row_weights, torch.tensor([2.0]))
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)  # softmax([ln 3, 0]) vs uniform
    assert loss.item() == pytest.approx(4 * kl)  # τ² · KL, keypoint 1 weighs nothing


def test_simcc_distillation_averages_both_axes():
    adapter = PoseAdapter(Estimator(simcc=True, beta=1.0))
    student = (torch.zeros(1, 1, 2), torch.zeros(1, 1, 2))
    mentor = (torch.tensor([[[math.log(3), 0.0]]]), torch.zeros(1, 1, 2))
    weights = adapter.row_weights([sample([1.0], x_labels=[[1.0, 0.0]],
                                          y_labels=[[1.0, 0.0]])], 'cpu')
    loss = per_sample_distillation(adapter.logit_groups(student),
                                   [torch.stack([g]) for g in adapter.logit_groups(mentor)],
                                   weights, torch.tensor([1.0]))
    kl = 0.75 * math.log(1.5) + 0.25 * math.log(0.5)
    assert loss.item() == pytest.approx(kl / 2)  # x row carries KL, y row carries 0


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


def test_align_resamples_mentor_outputs_to_the_student_grid():
    adapter = PoseAdapter(Estimator(simcc=True))
    student = (torch.zeros(2, 17, 384), torch.zeros(2, 17, 512))
    mentor = (torch.zeros(2, 17, 576), torch.zeros(2, 17, 768))
    assert [t.shape for t in adapter.align(mentor, student)] == [s.shape for s in student]
