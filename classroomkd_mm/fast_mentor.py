"""The mentor fast path: frozen mentors in eval mode are constants, so make them cheap.

``FastMentor`` wraps a loaded, frozen mentor. It can fold BatchNorm into the
convolutions before it (exact), run in inference mode and ``channels_last``,
run a reduced-precision copy (bf16 on CPU, fp16/bf16 on GPU) and
``torch.compile`` the forward. Outputs always come back as float32 tensors
that autograd may use.
"""
import logging
from typing import Optional

import torch
from mmengine.logging import print_log
from torch import nn
from torch.fx.experimental.optimization import fuse

DTYPES = {None: None, 'float32': None, 'bfloat16': torch.bfloat16, 'float16': torch.float16}


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold eval-mode BatchNorm into the convolution feeding it, where torch.fx can trace.

    A module that does not trace is folded child by child. The folding is exact
    up to float rounding: ``BN(conv(x)) = conv'(x)`` with rescaled weights.
    """
    try:
        return fuse(module.eval())
    except Exception:  # not symbolically traceable: try its children
        for name, child in module.named_children():
            setattr(module, name, fold_batchnorm(child))
        return module


def map_tensors(output, fn):
    if isinstance(output, torch.Tensor):
        return fn(output)
    return type(output)(map_tensors(item, fn) for item in output)


class FastMentor(nn.Module):
    """A frozen mentor behind the fast path; answers ``mode='tensor'`` like the mentor."""

    def __init__(self, mentor: nn.Module, fold_bn: bool = True, channels_last: bool = True,
                 dtype: Optional[str] = None, compile: bool = False):
        super().__init__()
        if dtype not in DTYPES:
            raise ValueError(f'mentor_fast_path.dtype={dtype!r} is unknown; choose one of '
                             f'{sorted(k for k in DTYPES if k)}')
        if fold_bn:
            for name, child in mentor.named_children():
                if name != 'data_preprocessor':
                    setattr(mentor, name, fold_batchnorm(child))
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.dtype = DTYPES[dtype]
        mentor = mentor.to(memory_format=self.memory_format)
        self.mentor = mentor.to(self.dtype) if self.dtype else mentor
        self.mentor.requires_grad_(False).eval()
        self.run = torch.compile(self._run) if compile else self._run
        if compile:
            print_log('mentor fast path: torch.compile is on; the first steps compile',
                      logger='current', level=logging.INFO)

    def _run(self, inputs: torch.Tensor):
        return self.mentor(inputs, None, mode='tensor')

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        inputs = inputs.contiguous(memory_format=self.memory_format)
        if self.dtype:
            inputs = inputs.to(self.dtype)
        with torch.inference_mode():
            output = self.run(inputs)
        # clone outside inference mode: the loss may save these for backward
        return map_tensors(output, lambda t: t.float().clone())
