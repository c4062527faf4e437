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


def read_normalisation(preprocessor: nn.Module) -> Optional[Normalisation]:
    """The normalisation of an MMEngine ``ImgDataPreprocessor`` (MMPose's
    ``PoseDataPreprocessor``...) or an MMPretrain ``ClsDataPreprocessor``; None for a
    preprocessor of another type, whose normalisation cannot be known."""
    swap = getattr(preprocessor, '_channel_conversion', getattr(preprocessor, 'to_rgb', None))
    enabled = getattr(preprocessor, '_enable_normalize', None)
    if swap is None or enabled is None:
        return None
    if not enabled:
        return Normalisation(torch.zeros(3), torch.ones(3), bool(swap))
    mean, std = (getattr(preprocessor, key).detach().float().cpu().flatten()
                 for key in ('mean', 'std'))
    if mean.numel() not in (1, 3) or std.numel() not in (1, 3):
        return None
    return Normalisation(mean.expand(3).clone(), std.expand(3).clone(), bool(swap))


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


def normalisations(name: str, names_preprocessor: bool, mentor_preprocessor: nn.Module,
                   student_preprocessor: nn.Module
                   ) -> Tuple[Optional[Normalisation], Optional[Normalisation]]:
    """(student's, mentor's) normalisation, or (None, None) when the mentor takes the
    student's inputs as they are.

    A mentor whose config names no data preprocessor shares the student's, as
    MMEngine's Runner shares one preprocessor per model. When a named one's
    normalisation (or the student's) cannot be known, a warning says so and the
    mentor receives the student's inputs.
    """
    if not names_preprocessor:
        return None, None
    pair = read_normalisation(student_preprocessor), read_normalisation(mentor_preprocessor)
    for whose, preprocessor, normalisation in (
            ('the student', student_preprocessor, pair[0]),
            (f"mentor '{name}'", mentor_preprocessor, pair[1])):
        if normalisation is None:
            print_log(f'the data preprocessor of {whose} ({type(preprocessor).__name__}) does '
                      'not say how it normalises images, so mentor '
                      f"'{name}' receives the student's inputs unconverted",
                      logger='current', level=logging.WARNING)
            return None, None
    return pair
