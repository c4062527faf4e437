"""The mentor fast path: frozen mentors in eval mode are constants, so make them cheap.

``FastMentor`` wraps a loaded, frozen mentor. It can fold BatchNorm into the
convolutions before it and run ReLUs and residual sums in place, run in
inference mode and ``channels_last``, run a reduced-precision copy (bf16 on
CPU, fp16/bf16 on GPU) and ``torch.compile`` the forward. Outputs always come back as float32 tensors
that autograd may use.
"""
import logging
import operator
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from torch import fx, nn
from torch.fx.experimental.optimization import fuse

DTYPES = {None: None, 'float32': None, 'bfloat16': torch.bfloat16, 'float16': torch.float16}
RELUS = (F.relu, torch.relu)
FRESH_OUTPUT_MODULES = (nn.Conv2d, nn.Linear, nn.BatchNorm2d)


def add_into(fresh: torch.Tensor, other) -> torch.Tensor:
    """``fresh + other``, written into ``fresh`` when the sum has its shape and dtype."""
    both_tensors = isinstance(fresh, torch.Tensor) and isinstance(other, torch.Tensor)
    if both_tensors and fresh.shape == torch.broadcast_shapes(fresh.shape, other.shape) \
            and fresh.dtype == torch.result_type(fresh, other):
        return fresh.add_(other)
    return fresh + other


def is_sum(node: fx.Node) -> bool:
    """A plain two-operand sum (no ``out=`` or ``alpha=``), rewritten or not."""
    return node.op == 'call_function' and node.target in (operator.add, torch.add, add_into) \
        and len(node.args) == 2 and not node.kwargs


def is_relu(node: fx.Node, module: fx.GraphModule) -> bool:
    """A ReLU (functional or module) applied to a positional input."""
    applies_relu = (node.op == 'call_function' and node.target in RELUS) or (
        node.op == 'call_module' and isinstance(module.get_submodule(node.target), nn.ReLU))
    return applies_relu and bool(node.args)


def writes_a_new_tensor(node: fx.Node, module: fx.GraphModule) -> bool:
    """Whether ``node`` makes a tensor of its own (not a view, an input or a weight)."""
    if node.op == 'call_module':
        return isinstance(module.get_submodule(node.target), FRESH_OUTPUT_MODULES)
    return is_sum(node)


def read_only_here(source, module: fx.GraphModule) -> bool:
    """Whether ``source`` is a new tensor with one reader."""
    return isinstance(source, fx.Node) and len(source.users) == 1 and writes_a_new_tensor(
        source, module)


def in_place_activations(module: fx.GraphModule) -> fx.GraphModule:
    """Apply ReLUs and residual additions in place where they are the only reader of a new
    tensor (a convolution's or a sum's output).

    Exact: the values are the same; the forward only skips allocating (and on
    the CPU, page-faulting) a fresh tensor per operation. Forward hooks on a
    replaced ``nn.ReLU`` no longer run.
    """
    for node in module.graph.nodes:
        if is_relu(node, module) and read_only_here(node.args[0], module):
            node.op, node.target, node.args, node.kwargs = (
                'call_function', torch.relu_, (node.args[0],), {})
        elif is_sum(node):
            for fresh, other in (node.args, node.args[::-1]):
                if read_only_here(fresh, module):
                    node.target, node.args = add_into, (fresh, other)
                    break
    module.recompile()
    return module


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold eval-mode BatchNorm into the convolution feeding it where torch.fx can trace,
    and run ReLUs and residual sums in place there (:func:`in_place_activations`).

    A module that does not trace is folded child by child. The folding is exact
    up to float rounding: ``BN(conv(x)) = conv'(x)`` with rescaled weights.
    """
    try:
        return in_place_activations(fuse(module.eval()))
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
