"""BatchNorm folding and in-place activations on a frozen module's ``torch.fx`` graph.

Both passes are exact up to float rounding and run on modules in eval mode.
Only modules that contain a BatchNorm are traced, and only as a whole when
their ``forward`` takes no optional inputs (:func:`frozen_inputs`); a module
that cannot be traced is folded child by child, and the reason is recorded.
Convolutions are traced as opaque calls (:class:`ConvolutionsAsLeaves`).
"""
import copy
import functools
import inspect
import operator
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd
from torch.nn.utils.fusion import fuse_conv_bn_weights

from .checks import describe

RELUS = (F.relu, torch.relu)
FRESH_OUTPUT_MODULES = (nn.Conv2d, nn.Linear, nn.BatchNorm2d)
CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
TRANSPOSED_CONVS = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
BATCH_NORM_ARGS = inspect.signature(F.batch_norm)
# What symbolic tracing raises on a forward it cannot follow: Python control flow, len() or
# iteration on a traced value (TraceError), and library code that type-checks its inputs and
# refuses a Proxy (TypeError). Any other error is a bug and is not hidden here.
TRACE_ERRORS = (fx.proxy.TraceError, TypeError)
METADATA = ('ndim', 'shape', 'dtype', 'device')


class ConvolutionsAsLeaves(fx.Tracer):
    """Records every convolution, ``torch.nn``'s or a subclass (MMCV's adaptive padding,
    its empty-input wrappers), as one call instead of tracing into its forward."""

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        return isinstance(module, _ConvNd) or super().is_leaf_module(module, qualified_name)


def trace(module: nn.Module) -> fx.GraphModule:
    return fx.GraphModule(module, ConvolutionsAsLeaves().trace(module),
                          type(module).__name__)


@dataclass
class FoldReport:
    """What :func:`fold_batchnorm` did to one mentor."""
    folded: int = 0
    in_place: int = 0
    untraced: List[Tuple[str, str]] = field(default_factory=list)  # (module, why)


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


def value_readers(node: fx.Node) -> List[fx.Node]:
    """The users of ``node`` that read its values, not only its shape, dtype or device."""
    return [user for user in node.users if not (
        user.op == 'call_function' and user.target is getattr and user.args[1] in METADATA
        or user.op == 'call_method' and user.target in ('dim', 'size'))]


def read_only_here(source, module: fx.GraphModule) -> bool:
    """Whether ``source`` is a new tensor with one reader."""
    return isinstance(source, fx.Node) and len(value_readers(source)) == 1 \
        and writes_a_new_tensor(source, module)


def in_place_activations(module: fx.GraphModule) -> int:
    """Apply ReLUs and residual additions in place where they are the only reader of a new
    tensor (a convolution's or a sum's output); return how many.

    Exact: the values are the same; the forward only skips allocating (and on
    the CPU, page-faulting) a fresh tensor per operation. Forward hooks on a
    replaced ``nn.ReLU`` no longer run.
    """
    count = 0
    for node in module.graph.nodes:
        if is_relu(node, module) and read_only_here(node.args[0], module):
            node.op, node.target, node.args, node.kwargs = (
                'call_function', torch.relu_, (node.args[0],), {})
            count += 1
        elif is_sum(node):
            for fresh, other in (node.args, node.args[::-1]):
                if read_only_here(fresh, module):
                    node.target, node.args = add_into, (fresh, other)
                    count += 1
                    break
    module.recompile()
    return count


def batchnorm_terms(node: fx.Node, module: fx.GraphModule) -> Optional[tuple]:
    """``(running_mean, running_var, eps, weight, bias)`` of an eval-mode BatchNorm at
    ``node``: an ``nn`` BatchNorm module, or ``F.batch_norm`` on the module's own
    tensors (e.g. timm's ``BatchNormAct2d``, traced through). None for anything else."""
    if node.op == 'call_module':
        norm = module.get_submodule(node.target)
        if isinstance(norm, _BatchNorm) and not norm.training and norm.running_mean is not None:
            return norm.running_mean, norm.running_var, norm.eps, norm.weight, norm.bias
    elif node.op == 'call_function' and node.target is F.batch_norm:
        args = BATCH_NORM_ARGS.bind(*node.args, **node.kwargs)
        args.apply_defaults()
        args = args.arguments
        names = ('running_mean', 'running_var', 'weight', 'bias')
        if args['training'] is False and args['running_mean'] is not None and all(
                args[name] is None or getattr(args[name], 'op', None) == 'get_attr'
                for name in names):
            mean, var, weight, bias = (
                None if args[name] is None else
                functools.reduce(getattr, args[name].target.split('.'), module)
                for name in names)
            return mean, var, args['eps'], weight, bias
    return None


def foldable_conv(node, module: fx.GraphModule) -> Optional[nn.Module]:
    """The convolution module that computes ``node`` alone, if its weights may be rescaled:
    ``node`` has one reader and the module runs nowhere else in the graph."""
    if not (isinstance(node, fx.Node) and node.op == 'call_module'
            and len(value_readers(node)) == 1):
        return None
    conv = module.get_submodule(node.target)
    grouped_transpose = isinstance(conv, TRANSPOSED_CONVS) and conv.groups > 1
    runs_once = sum(other.op == 'call_module' and other.target == node.target
                    for other in module.graph.nodes) == 1
    if isinstance(conv, CONVS + TRANSPOSED_CONVS) and not grouped_transpose and runs_once:
        return conv
    return None


def folds_exactly(conv: nn.Module, weight: nn.Parameter, bias: nn.Parameter, terms) -> bool:
    """Whether ``conv`` with the folded ``weight`` and ``bias`` computes ``BN(conv(x))``.

    ``torch.nn``'s convolutions do by construction. A subclass may do more than
    convolve (pad its input, standardise its weights...), so it is run once on a
    random input: rescaling passes through padding, not through standardisation.
    """
    if type(conv) in CONVS + TRANSPOSED_CONVS:
        return True
    mean, var, eps, bn_weight, bn_bias = terms
    size = [max(8, (k - 1) * d + 1) for k, d in zip(conv.kernel_size, conv.dilation)]
    inputs = torch.randn(2, conv.in_channels, *size, dtype=weight.dtype, device=weight.device,
                         generator=torch.Generator(weight.device).manual_seed(0))
    folded = copy.deepcopy(conv)
    folded.weight, folded.bias = weight, bias
    with torch.no_grad():
        expected = F.batch_norm(conv(inputs), mean, var, bn_weight, bn_bias, False, 0.0, eps)
        return torch.allclose(folded(inputs), expected, rtol=1e-4,
                              atol=1e-4 * float(expected.abs().max().clamp_min(1)))


def fold_traced(module: fx.GraphModule) -> int:
    """Fold every eval-mode BatchNorm fed by a convolution alone into that convolution;
    return how many. ``BN(conv(x)) = conv'(x)`` with rescaled weights and a new bias."""
    folded = 0
    for node in list(module.graph.nodes):
        terms = batchnorm_terms(node, module)
        conv = foldable_conv(node.args[0], module) if terms and node.args else None
        if conv is None:
            continue
        mean, var, eps, bn_weight, bn_bias = terms
        weight, bias = fuse_conv_bn_weights(conv.weight, conv.bias, mean, var, eps, bn_weight,
                                            bn_bias, transpose=isinstance(conv, TRANSPOSED_CONVS))
        if not folds_exactly(conv, weight, bias, terms):
            continue
        conv.weight, conv.bias = weight, bias
        node.replace_all_uses_with(node.args[0])
        module.graph.erase_node(node)
        folded += 1
    for node in list(module.graph.nodes):  # the folded BatchNorms' statistics
        if node.op == 'get_attr' and not node.users:
            module.graph.erase_node(node)
    module.delete_all_unused_submodules()
    module.graph.lint()
    module.recompile()
    return folded


def frozen_inputs(module: nn.Module) -> Optional[str]:
    """Why tracing ``module`` on its own would freeze its forward, or None.

    Tracing turns every input into a Proxy, so ``mask is None`` tests and the
    defaults of optional inputs are decided once, at trace time (MMPretrain's
    ``WindowMSA.forward(x, mask=None)`` would keep its masked branch). Inside a
    traced parent, a child sees the values its parent really passes.
    """
    optional = [p.name for p in inspect.signature(module.forward).parameters.values()
                if p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if optional:
        return f"forward takes optional inputs ({', '.join(optional)}) that tracing would freeze"
    return None


def fold_batchnorm(module: nn.Module, path: str, report: FoldReport) -> nn.Module:
    """``module`` with its BatchNorms folded and activations in place where torch.fx can
    trace it (a ``GraphModule``), else with its children so treated; ``report`` counts
    the folds and names each module that was not traced, and why."""
    if isinstance(module, _BatchNorm) or not any(
            isinstance(child, _BatchNorm) for child in module.modules()):
        return module  # nothing to fold into, or nothing to fold
    if type(module).forward is not nn.Module.forward:  # not a ModuleList or ModuleDict
        why = frozen_inputs(module)
        if why is None:
            try:
                traced = trace(module)
            except TRACE_ERRORS as error:
                why = describe(error)
            else:
                report.folded += fold_traced(traced)
                report.in_place += in_place_activations(traced)
                return traced
        report.untraced.append((path, why))
    for name, child in module.named_children():
        setattr(module, name, fold_batchnorm(child, f'{path}.{name}', report))
    return module
