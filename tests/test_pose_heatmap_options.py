"""The two heatmap options of the pose adapter, pinned on hand-computed numbers:
``heatmap_beta`` (Eq. 7's spatial softmax of scaled heatmaps) and ``heatmap_floor``
(the least per-instance confidence, which bounds one missed instance's weight in the
geometric batch mean of Eq. 4)."""
import math

import pytest
import torch

from classroomkd_mm.adapters.pose import PoseAdapter
from classroomkd_mm.core import KnowledgeFilter, batch_confidence, per_sample_distillation
from test_pose_math import Estimator, sample


def test_heatmap_beta_scales_the_spatial_softmax():
    # One keypoint, a 2x2 heatmap: the mentor reads 1 in one cell and 0 elsewhere, the
    # student 0 everywhere (a uniform softmax). Eq. 7 at tau = 1 is KL(p || uniform) =
    # ln 4 + sum p ln p with p = softmax(beta * [1, 0, 0, 0]).
    mentor = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    student = torch.zeros(1, 1, 2, 2)

    def eq7(beta):
        adapter = PoseAdapter(Estimator(), heatmap_beta=beta)
        [student_group] = adapter.logit_groups(student)
        [mentor_group] = adapter.logit_groups(mentor)
        return per_sample_distillation([student_group], [mentor_group[None]],
                                       [torch.ones(1, 1)], torch.ones(1)).item()

    # beta = 1: p = (e, 1, 1, 1) / (e + 3) = (0.475367, 0.174878 x 3)
    # KL = ln 4 + 0.475367 ln 0.475367 + 3 * 0.174878 ln 0.174878 = 0.117993
    assert eq7(1.0) == pytest.approx(0.117993, abs=1e-6)
    # beta = 10: p = (e^10, 1, 1, 1) / (e^10 + 3) = (0.999864, 4.5394e-5 x 3)
    # KL = ln 4 + 0.999864 ln 0.999864 + 3 * 4.5394e-5 ln 4.5394e-5 = 1.384796
    assert eq7(10.0) == pytest.approx(1.384796, abs=1e-6)
    e = math.e
    p = [e / (e + 3)] + [1 / (e + 3)] * 3
    assert eq7(1.0) == pytest.approx(math.log(4) + sum(x * math.log(x) for x in p), abs=1e-6)


def missed_instance_batch():
    """Four instances of one keypoint, GT in the top-left cell of a 2x2 heatmap. The
    student reads 0.2 there on every instance; the mentor 0.9 on three and -0.2 on the
    fourth (a value <= 0 reads as confidence 0)."""
    target = torch.zeros(1, 2, 2)
    target[0, 0, 0] = 1.0
    samples = [sample([1.0], heatmaps=target) for _ in range(4)]
    student = torch.zeros(4, 1, 2, 2)
    student[:, 0, 0, 0] = 0.2
    mentor = torch.zeros(4, 1, 2, 2)
    mentor[:, 0, 0, 0] = torch.tensor([0.9, 0.9, 0.9, -0.2])
    return [student, mentor], samples


def test_heatmap_floor_bounds_a_missed_instance_in_the_geometric_mean():
    outputs, samples = missed_instance_batch()
    all_valid, available = torch.ones(4, dtype=torch.bool), torch.ones(2, dtype=torch.bool)

    # Default floor 0.01: the mentor's w = exp((3 ln 0.9 + ln 0.01) / 4) = exp(-1.230313)
    # = 0.292201 > the student's 0.2: r = 1 * w / sum = 0.593662 > 0.406338, it teaches.
    confidence, valid = PoseAdapter(Estimator()).confidences(outputs, samples)
    assert confidence[1].tolist() == pytest.approx([0.9, 0.9, 0.9, 0.01])
    w, _ = batch_confidence(confidence, valid, available)
    assert w.tolist() == pytest.approx([0.2, 0.292201], abs=1e-6)
    ranking = KnowledgeFilter()(confidence, valid, available)
    assert ranking.ranks[:, 0].tolist() == pytest.approx([0.406338, 0.593662], abs=1e-6)
    assert ranking.active.tolist() == [[True] * 4]

    # No floor: the missed instance adds ln(1e-12) = -27.631021, the mentor's
    # w = exp((3 ln 0.9 - 27.631021) / 4) = exp(-6.986776) = 9.2402e-4, and a mentor
    # right on three instances of four is switched off.
    confidence, _ = PoseAdapter(Estimator(), heatmap_floor=0.0).confidences(outputs, samples)
    assert confidence[1, 3].item() == 0.0
    w, _ = batch_confidence(confidence, all_valid, available)
    assert w[1].item() == pytest.approx(9.2402e-4, rel=1e-4)
    assert KnowledgeFilter()(confidence, all_valid, available).active.tolist() == [[False] * 4]


def test_heatmap_floor_leaves_simcc_confidences_alone():
    # SimCC probabilities are never 0; a floor there would only blur low confidences.
    adapter = PoseAdapter(Estimator(simcc=True, beta=1.0), heatmap_floor=0.5)
    x = torch.log(torch.tensor([[[0.1, 0.9]]]))  # softmax -> (0.1, 0.9)
    y = torch.log(torch.tensor([[[0.4, 0.6]]]))
    samples = [sample([1.0], x_labels=[[1.0, 0.0]], y_labels=[[1.0, 0.0]])]
    [confidence], _ = adapter.confidences([(x, y)], samples)
    assert confidence.tolist() == pytest.approx([math.sqrt(0.1 * 0.4)])  # below the floor


@pytest.mark.parametrize('option, value, message', [
    ('heatmap_beta', 0.0, 'heatmap_beta must be > 0'),
    ('heatmap_floor', 1.0, r'heatmap_floor must be in \[0, 1\)'),
    ('heatmap_floor', -0.1, r'heatmap_floor must be in \[0, 1\)'),
])
def test_bad_heatmap_options_are_refused(option, value, message):
    with pytest.raises(ValueError, match=message):
        PoseAdapter(Estimator(), **{option: value})


def test_heatmap_defaults_are_the_measured_choices():
    # docs/results.md, LSP heatmap classroom: beta 10 beat Eq. 7 on raw values on 3 of 3
    # seeds; the floor never changed a decision with LSP's full annotations and kept a
    # strong mentor teaching when instances have one visible keypoint.
    adapter = PoseAdapter(Estimator())
    assert (adapter.heatmap_beta, adapter.heatmap_floor) == (10.0, 0.01)
