"""``ckd.CPUAmpOptimWrapper``: ``--amp`` on a machine without CUDA (bfloat16 autocast).

MMEngine's ``AmpOptimWrapper`` refuses to start without an accelerator. On
the CPU, mixed precision is bfloat16 autocast, which needs no loss scaling.
"""
from contextlib import contextmanager

import torch
from mmengine.optim import OptimWrapper

from ..registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward passes run under CPU bfloat16 autocast."""

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast('cpu', dtype=torch.bfloat16):
            yield
