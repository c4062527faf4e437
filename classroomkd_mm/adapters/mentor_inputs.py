"""Each mentor's inputs: the student's batch in the mentor's own normalisation and size.

The student's data preprocessor normalises the batch once. A mentor trained
with another mean, std or channel order gets that batch converted per
channel: the student's normalisation and channel order undone, the mentor's
applied (one affine map per channel after an optional BGR/RGB swap, fixed
at build). A mentor at another input size gets it resized, in the task
adapter's convention.
"""
import logging
from typing import NamedTuple, Optional, Tuple

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from ..core.resample import resize_images


class Normalisation(NamedTuple):
    """What a data preprocessor does to a 3-channel image: swap BGR/RGB, then
    ``(x - mean) / std``."""
    mean: Tensor  # (3,)
    std: Tensor   # (3,)
    swap_channels: bool


def reads_normalisation_keys(preprocessor: nn.Module) -> bool:
    """Whether ``preprocessor`` normalises as its ``mean``, ``std`` and channel-order keys
    say: MMEngine's ``ImgDataPreprocessor`` (MMPose's ``PoseDataPreprocessor``...) and
    MMPretrain's ``ClsDataPreprocessor``."""
    from mmengine.model import ImgDataPreprocessor
    known = [ImgDataPreprocessor]
    try:
        from mmpretrain.models import ClsDataPreprocessor
        known.append(ClsDataPreprocessor)
    except ImportError:
        pass
    return isinstance(preprocessor, tuple(known))


def read_normalisation(cfg: Optional[dict], preprocessor: nn.Module) -> Optional[Normalisation]:
    """The normalisation that ``cfg``, the config of the built ``preprocessor``, sets:
    ``mean`` and ``std`` (none: no normalisation), and a BGR/RGB swap with
    ``bgr_to_rgb`` or ``rgb_to_bgr`` (MMEngine, MMPose) or ``to_rgb`` (MMPretrain).
    Keys left out take the defaults (no normalisation, no swap). None when the
    preprocessor is of a type whose normalisation these keys do not describe."""
    if not reads_normalisation_keys(preprocessor) or not isinstance(cfg, (dict, type(None))):
        return None
    cfg = cfg or {}
    swap = any(cfg.get(key) for key in ('bgr_to_rgb', 'rgb_to_bgr', 'to_rgb'))
    if cfg.get('mean') is None:
        return Normalisation(torch.zeros(3), torch.ones(3), swap)
    mean, std = (torch.tensor(cfg[key], dtype=torch.float32).flatten() for key in ('mean', 'std'))
    if mean.numel() not in (1, 3) or std.numel() not in (1, 3):
        return None
    return Normalisation(mean.expand(3).clone(), std.expand(3).clone(), swap)


class MentorInputs(nn.Module):
    """Turns the student's normalised batch into one mentor's inputs.

    Args:
        student, mentor: their normalisations; no conversion when they match
            or when either is None.
        size: the mentor's (H, W), or None for the student's.
        convention: ``'grid'`` or ``'half_pixel'`` resampling (``core/resample.py``).
    """

    def __init__(self, student: Optional[Normalisation], mentor: Optional[Normalisation],
                 size: Optional[Tuple[int, int]], convention: str):
        super().__init__()
        self.size, self.convention = size, convention
        self.swap_channels = False
        self.converts = False
        if student is None or mentor is None:
            return
        self.swap_channels = student.swap_channels != mentor.swap_channels
        order = [2, 1, 0] if self.swap_channels else [0, 1, 2]
        scale = student.std[order] / mentor.std
        shift = (student.mean[order] - mentor.mean) / mentor.std
        self.converts = self.swap_channels or not (
            torch.equal(scale, torch.ones(3)) and torch.equal(shift, torch.zeros(3)))
        self.register_buffer('scale', scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer('shift', shift.view(1, 3, 1, 1), persistent=False)

    def forward(self, inputs: Tensor) -> Tensor:
        if self.converts:
            if self.swap_channels:
                inputs = inputs.flip(1)
            inputs = torch.addcmul(self.shift.to(inputs.dtype), inputs,
                                   self.scale.to(inputs.dtype))
        if self.size is not None:
            inputs = resize_images(inputs, self.size, self.convention)
        return inputs


def normalisations(name: str, student_cfg: dict, student: nn.Module, mentor_cfg: dict,
                   mentor: nn.Module
                   ) -> Tuple[Optional[Normalisation], Optional[Normalisation]]:
    """(student's, mentor's) normalisation, read from the models' configs, or (None, None)
    when the mentor takes the student's inputs as they are.

    A mentor whose config names no data preprocessor shares the student's, as
    MMEngine's Runner shares one preprocessor per model. When a named one's
    normalisation (or the student's) cannot be known, a warning says so and the
    mentor receives the student's inputs.
    """
    if 'data_preprocessor' not in mentor_cfg:
        return None, None
    models = (('the student', student_cfg, student), (f"mentor '{name}'", mentor_cfg, mentor))
    pair = tuple(read_normalisation(cfg.get('data_preprocessor'), model.data_preprocessor)
                 for _, cfg, model in models)
    for (whose, _, model), normalisation in zip(models, pair, strict=True):
        if normalisation is None:
            print_log(f'the data preprocessor of {whose} '
                      f'({type(model.data_preprocessor).__name__}) does not say how it '
                      f"normalises images, so mentor '{name}' receives the student's inputs "
                      'unconverted', logger='current', level=logging.WARNING)
            return None, None
    return pair
