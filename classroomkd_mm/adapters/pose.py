"""Adapters for MMPose top-down estimators: :class:`HeatmapAdapter` for heatmap heads
(``HeatmapHead`` and subclasses such as ``ViPNASHead``), :class:`SimCCAdapter` for SimCC
heads (``SimCCHead``, ``RTMCCHead``). The distiller picks the one for the student's head
when it is built; MMPose is imported when a model is checked, so that the classification
path works without it.

Each person instance is one sample. A model's confidence on an instance is what it
predicts at the ground-truth keypoints, averaged over them with their keypoint weights
(zero for invisible keypoints):

* heatmap heads: the heatmap value at the GT location, bilinearly sampled;
* SimCC heads: the geometric mean of the x-bin and y-bin probabilities at the GT bins
  (``simcc_axes='arithmetic'``: their mean), with probabilities ``softmax(β · logits)``
  where ``β`` is the head's own ``KLDiscretLoss`` beta (1 when it has none).

The heatmap adapter has two options of its own (both decided on LSP Extended,
``docs/results.md``):

* ``heatmap_beta`` multiplies heatmap values before Eq. 7's spatial softmax, as
  SimCC's ``β`` (10 in RTMPose) does for its bins. Default 10; 1 is Eq. 7 on the
  raw values, as specified, whose targets are nearly uniform at any ``τ`` > 1
  (LSP heatmap classroom: 49.92 against 49.28 PCK@0.2, better on 3 of 3 seeds);
* ``heatmap_floor`` is the least confidence an instance gets. A heatmap value at
  the GT can be <= 0 and reads as 0; with the geometric batch mean, one instance
  at 0 would add ``log(1e-12) = -27.6`` and could switch off a mentor that is
  right on every other instance. The default, 0.01, is about the value of the
  target Gaussian 3 sigma away from its peak (``exp(-4.5)``): "missed", bounded.

Configs name them on the distiller, e.g.
``adapter=dict(type='ckd.HeatmapAdapter', heatmap_beta=10.0, heatmap_floor=0.01)`` or
``adapter=dict(type='ckd.SimCCAdapter', simcc_axes='arithmetic')``.

The GT location comes from ``gt_instances.transformed_keypoints`` when the
pipeline packs it (``PackPoseInputs(pack_transformed=True)``), else from the
peak of the encoded target the head's loss uses.
"""
from typing import List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from ..core.resample import resample_last_axes, sample_bilinear
from ..registry import MODELS
from .base import TaskAdapter, the_one_call

HEATMAP, SIMCC = 'heatmap', 'SimCC'
SIMCC_AXES = ('geometric', 'arithmetic')


def head_kind(head: Optional[nn.Module]) -> Optional[str]:
    """``'heatmap'`` or ``'SimCC'`` for the heads the adapters read, else None."""
    try:
        from mmpose.models.heads import HeatmapHead, RTMCCHead, SimCCHead
    except ImportError:
        return None
    if isinstance(head, HeatmapHead):
        return HEATMAP
    return SIMCC if isinstance(head, (SimCCHead, RTMCCHead)) else None


def is_topdown_estimator(model: nn.Module) -> bool:
    try:
        from mmpose.models import TopdownPoseEstimator
    except ImportError:
        return False
    return isinstance(model, TopdownPoseEstimator)


def sample_keypoints(values: Tensor, location: Tensor) -> Tensor:
    """Read per-keypoint grids ``values`` (N, K, *S) at ``location`` (N, K, len(S)): (N, K)."""
    grids = values.reshape((-1,) + tuple(values.shape[2:]))
    return sample_bilinear(grids, location.reshape(len(grids), 1, -1),
                           shared_points=False).reshape(values.shape[:2])


def keypoint_names(model: nn.Module, checkpoint_meta: dict):
    meta = checkpoint_meta.get('dataset_meta') or getattr(model, 'metainfo', None) or {}
    names = meta.get('keypoint_id2name')
    return [names[i] for i in sorted(names)] if names else None


def to_device(array: np.ndarray, device: torch.device) -> Tensor:
    """One host-to-device copy of ``array``: pinned and non-blocking on CUDA."""
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    if device.type == 'cuda':
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


class KeypointAdapter(TaskAdapter):
    """What the heatmap and SimCC adapters share: keypoint weights, GT locations, the
    confidence averaged over keypoints, and the checks of a mentor.

    A mentor with another input size gets the student's crop resampled in the
    grid convention: ``TopdownAffine`` maps the box centre to ``(w/2, h/2)``, so
    crops of one box at two sizes relate by ``x2 = x1 · w2 / w1``.
    """
    input_convention = 'grid'
    head_kind = ''    # the kind of head the adapter reads (HEATMAP or SIMCC)
    num_groups = 1    # logit groups per output, each with the keypoint weights as row weights

    @classmethod
    def accepts(cls, model: nn.Module) -> bool:
        return is_topdown_estimator(model) and head_kind(getattr(model, 'head', None)) == \
            cls.head_kind

    def accepts_mentor(self, model: nn.Module) -> bool:
        return is_topdown_estimator(model) and head_kind(getattr(model, 'head', None)) is not None

    def check_mentor(self, student, mentor, name, checkpoint_meta) -> None:
        super().check_mentor(student, mentor, name, checkpoint_meta)
        if head_kind(mentor.head) != self.head_kind:
            raise ValueError(
                f"mentor '{name}' has a {head_kind(mentor.head)} head "
                f'({type(mentor.head).__name__}) but the student has a {self.head_kind} head '
                f'({type(student.head).__name__}); mixing the two is not supported')
        if mentor.head.out_channels != student.head.out_channels:
            raise ValueError(f"mentor '{name}' predicts {mentor.head.out_channels} keypoints "
                             f'but the student predicts {student.head.out_channels}')
        mentor_names = keypoint_names(mentor, checkpoint_meta)
        student_names = keypoint_names(student, {})
        if mentor_names and student_names and mentor_names != student_names:
            raise ValueError(f"mentor '{name}' orders its keypoints {mentor_names} but the "
                             f'student orders them {student_names} (dataset meta differ)')

    def recorded_output(self, student, output_calls, loss_calls):
        """MMPose heads call ``self.forward`` inside their ``loss()``, which runs no hooks:
        the head output is the first argument of the one call of the head's loss module
        (the predictions the task loss compares with the targets)."""
        return the_one_call(loss_calls, self.loss_module(student), 'the head output').args[0]

    def mentor_input_size(self, student, mentor, configured):
        if configured is not None:
            return configured
        own, theirs = self._input_size(student), self._input_size(mentor)
        return None if theirs is None or theirs == own else theirs

    @staticmethod
    def _input_size(model):
        decoder = model.head.decoder
        size = getattr(decoder, 'input_size', None) or getattr(model.head, 'input_size', None)
        return None if size is None else (int(size[1]), int(size[0]))  # (W, H) -> (H, W)

    def check_ground_truth(self, data_samples) -> None:
        if not data_samples or not all('gt_instance_labels' in s and 'keypoint_weights'
                                       in s.gt_instance_labels for s in data_samples):
            raise ValueError('ClassroomKD needs ground-truth keypoints in loss mode: every data '
                             'sample must carry gt_instance_labels.keypoint_weights '
                             '(GenerateTarget in the training pipeline)')

    def row_weights(self, data_samples, device) -> List[Tensor]:
        return [self.keypoint_weights(data_samples).to(device)] * self.num_groups

    @staticmethod
    def keypoint_weights(data_samples) -> Tensor:
        return torch.cat([s.gt_instance_labels.keypoint_weights for s in data_samples]).float()

    def gt_locations(self, output, data_samples) -> Tensor:
        """(N, K, 2) GT (x, y) on the output grid: heatmap cells or SimCC bins."""
        grid = self.grid_size(output)
        device = output[0].device  # the first sample's heatmaps, or the x-axis logits
        if not all('gt_instances' in s and 'transformed_keypoints' in s.gt_instances
                   for s in data_samples):
            return self.target_locations(data_samples, grid, device)
        input_size = data_samples[0].metainfo['input_size']
        scale = np.array([grid[i] / input_size[i] for i in range(2)], dtype=np.float32)
        keypoints = [s.gt_instances.transformed_keypoints for s in data_samples]
        if all(isinstance(k, np.ndarray) for k in keypoints):  # as MMPose's pipeline packs
            return to_device(np.concatenate(keypoints).astype(np.float32) * scale, device)
        keypoints = torch.cat([torch.as_tensor(k, device=device) for k in keypoints]).float()
        return torch.stack([keypoints[..., axis] * float(scale[axis]) for axis in range(2)], -1)

    def confidences(self, outputs, data_samples) -> Tuple[Tensor, Tensor]:
        """(C, N) confidence of every model at the GT keypoints, read once for all; (N,) valid."""
        location = self.gt_locations(outputs[0], data_samples)
        weights = self.keypoint_weights(data_samples).to(location.device)
        total = weights.sum(-1)
        per_keypoint = torch.stack([self.keypoint_confidence(o, location) for o in outputs])
        return (per_keypoint * weights).sum(-1) / total.clamp_min(1e-12), total > 0

    def grid_size(self, output) -> Tuple[int, int]:
        """The output grid's (x, y) sizes."""
        raise NotImplementedError

    def target_locations(self, data_samples, grid: Tuple[int, int],
                         device: torch.device) -> Tensor:
        """(N, K, 2) GT (x, y) read from the encoded targets the head's loss uses."""
        raise NotImplementedError

    def keypoint_confidence(self, output, location: Tensor) -> Tensor:
        """(N, K) what ``output`` predicts at the GT ``location`` of every keypoint."""
        raise NotImplementedError


@MODELS.register_module()
class HeatmapAdapter(KeypointAdapter):
    """Reads heatmap heads: outputs (N, K, H, W); see the module doc for the options."""
    head_kind = HEATMAP
    supported = ('MMPose TopdownPoseEstimator models with a heatmap head (HeatmapHead and its '
                 'subclasses, e.g. ViPNASHead)')

    def __init__(self, student: nn.Module, heatmap_beta: float = 10.0,
                 heatmap_floor: float = 0.01):
        super().__init__(student)
        if not heatmap_beta > 0:
            raise ValueError(f'adapter heatmap_beta must be > 0, got {heatmap_beta!r}')
        if not 0 <= heatmap_floor < 1:
            raise ValueError(f'adapter heatmap_floor must be in [0, 1), got {heatmap_floor!r}')
        self.heatmap_beta = float(heatmap_beta)
        self.heatmap_floor = float(heatmap_floor)

    def align(self, mentor_output: Tensor, student_output: Tensor) -> Tensor:
        return resample_last_axes(mentor_output, student_output.shape[-2:])

    def logit_groups(self, output: Tensor) -> List[Tensor]:
        return [output.flatten(2) * self.heatmap_beta]

    def grid_size(self, output: Tensor) -> Tuple[int, int]:
        return output.shape[-1], output.shape[-2]

    def target_locations(self, data_samples, grid, device) -> Tensor:
        targets = torch.stack([s.gt_fields.heatmaps for s in data_samples]).to(device)
        peak = targets.flatten(2).argmax(-1)
        return torch.stack([peak % grid[0], peak // grid[0]], -1).float()

    def keypoint_confidence(self, output: Tensor, location: Tensor) -> Tensor:
        return sample_keypoints(output.detach(), location).clamp(0, 1)

    def confidences(self, outputs, data_samples) -> Tuple[Tensor, Tensor]:
        confidence, valid = super().confidences(outputs, data_samples)
        return confidence.clamp_min(self.heatmap_floor), valid


@MODELS.register_module()
class SimCCAdapter(KeypointAdapter):
    """Reads SimCC heads: outputs (x logits (N, K, Wx), y logits (N, K, Wy)); see the
    module doc for ``simcc_axes``."""
    head_kind = SIMCC
    num_groups = 2
    supported = 'MMPose TopdownPoseEstimator models with a SimCC head (SimCCHead, RTMCCHead)'

    def __init__(self, student: nn.Module, simcc_axes: str = 'geometric'):
        super().__init__(student)
        if simcc_axes not in SIMCC_AXES:
            raise ValueError(f'adapter simcc_axes={simcc_axes!r} is unknown; choose one of '
                             f'{SIMCC_AXES}')
        self.simcc_axes = simcc_axes
        self.simcc_beta = float(getattr(getattr(student.head, 'loss_module', None), 'beta', 1.0))

    def align(self, mentor_output, student_output) -> Tuple[Tensor, Tensor]:
        return tuple(resample_last_axes(m, s.shape[-1:])
                     for m, s in zip(mentor_output, student_output, strict=True))

    def logit_groups(self, output) -> List[Tensor]:
        return [axis * self.simcc_beta for axis in output]

    def grid_size(self, output) -> Tuple[int, int]:
        return output[0].shape[-1], output[1].shape[-1]

    def target_locations(self, data_samples, grid, device) -> Tensor:
        labels = [torch.cat([s.gt_instance_labels[key] for s in data_samples]).to(device)
                  for key in ('keypoint_x_labels', 'keypoint_y_labels')]
        return torch.stack([label.argmax(-1) for label in labels], -1).float()

    def keypoint_confidence(self, output, location: Tensor) -> Tensor:
        x_prob, y_prob = [(axis.detach().float() * self.simcc_beta).softmax(-1)
                          for axis in output]
        x_at_gt = sample_keypoints(x_prob, location[..., :1])
        y_at_gt = sample_keypoints(y_prob, location[..., 1:])
        if self.simcc_axes == 'geometric':
            return (x_at_gt * y_at_gt).clamp_min(0).sqrt()
        return (x_at_gt + y_at_gt) / 2
