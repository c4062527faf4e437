"""``FastMentor``: a frozen mentor made cheaper, kept only if it still answers like itself."""
import copy
import logging
from typing import Any, Callable, Optional, Tuple

import torch
from mmengine.logging import print_log
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.overrides import TorchFunctionMode

from .checks import describe, map_tensors, relative_deviation
from .cuda_graph import CaptureError, CapturedForward
from .folding import FoldReport, fold_batchnorm

DTYPES = {None: None, 'float32': None, 'bfloat16': torch.bfloat16, 'float16': torch.float16}
# The probe keeps the fast mentor if max|fast - eager| / max(1, max|eager|) is at most this,
# by the dtype of the fast mentor's weights. Measured on the mentors of the shipped
# classrooms (CPU, random weights, BatchNorm statistics spread around their initial values;
# tests/test_fast_path_mentor.py): fp32 up to 3e-6, bf16 up to 1.4e-2, fp16 up to 1.9e-3.
TOLERANCES = {torch.float64: 1e-4, torch.float32: 1e-4, torch.bfloat16: 5e-2,
              torch.float16: 1e-2}


def tolerance(dtype: torch.dtype, device: torch.device) -> float:
    """On CUDA, fp32 convolutions and matmuls may run in TF32 (cuDNN's default), which
    keeps fp16's 10-bit mantissa: they get fp16's tolerance."""
    tf32 = device.type == 'cuda' and (torch.backends.cudnn.allow_tf32
                                      or torch.backends.cuda.matmul.allow_tf32)
    return TOLERANCES[torch.float16 if dtype == torch.float32 and tf32 else dtype]


def weights_dtype(module: nn.Module) -> Optional[torch.dtype]:
    return next((p.dtype for p in module.parameters() if p.is_floating_point()), None)


def forward_of(mentor: nn.Module) -> Callable:
    return lambda inputs: mentor(inputs, None, mode='tensor')


class Refused(Exception):
    """Why the probe keeps the eager mentor."""


class ParameterReads(TorchFunctionMode):
    """Collects the parameters that torch functions receive while it is active."""

    def __init__(self):
        super().__init__()
        self.read = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for value in (*args, *kwargs.values()):
            if isinstance(value, nn.Parameter):
                self.read[id(value)] = value
        return func(*args, **kwargs)

    def unregistered(self, module: nn.Module) -> int:
        """How many parameters read are not ``module``'s registered parameters."""
        return len(self.read.keys() - {id(p) for p in module.parameters()})


class FastMentor(nn.Module):
    """A frozen mentor behind the fast path; answers ``mode='tensor'`` like the mentor.

    Args:
        mentor: the loaded mentor, frozen, in eval mode.
        fold_bn: fold BatchNorm into the convolutions feeding it and run ReLUs and
            residual sums in place, where ``torch.fx`` can trace (:func:`fold_batchnorm`).
        channels_last: run in the ``channels_last`` memory format.
        dtype: ``None`` (or ``'float32'``), ``'bfloat16'`` or ``'float16'``: the dtype
            the fast mentor's weights are cast to. Inputs are cast to the dtype the
            weights have at each call, so a later ``.to(dtype)`` or ``.half()`` of the
            model applies to the mentor as to any module.
        compile: ``torch.compile`` the forward.
        cuda_graph: capture the forward as a CUDA graph once per input shape and dtype,
            and replay it (:class:`CapturedForward`: at most 4 shapes are kept, each
            holding its static input, outputs and a private memory pool). On a CPU
            batch, or where CUDA refuses to capture, the mentor runs without.
        name: the mentor's name in the log.

    The probe: the first batch runs through the eager mentor and through a
    transformed copy (both held in memory until then). The copy is kept if it runs,
    reads no weights outside its registered parameters, and its outputs are within
    :data:`TOLERANCES` of the eager ones on that batch (its device, input size and
    dtype); otherwise the eager mentor is kept. Either way one log line names the
    mentor and says what was done, or why not.

    Autocast follows the weights, whatever the caller's: off for fp32 (and fp64)
    mentors, on in their dtype for fp16 and bf16 ones. Outputs come back as float32
    copies that autograd may save.
    """

    def __init__(self, mentor: nn.Module, fold_bn: bool = True, channels_last: bool = True,
                 dtype: Optional[str] = None, compile: bool = False, cuda_graph: bool = False,
                 name: Optional[str] = None):
        super().__init__()
        if dtype not in DTYPES:
            raise ValueError(f'mentor_fast_path.dtype={dtype!r} is unknown; choose one of '
                             f'{sorted(k for k in DTYPES if k)}')
        self.name = name or type(mentor).__name__
        self.fold_bn, self.dtype, self.compile, self.cuda_graph = (
            fold_bn, DTYPES[dtype], compile, cuda_graph)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.mentor = mentor.requires_grad_(False).eval()
        self.run_mentor = forward_of(mentor)
        self.transformed = False
        self.graphs: Optional[CapturedForward] = None
        self.probed = False

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode != 'tensor':
            raise ValueError(f"a FastMentor answers mode='tensor' only, got {mode!r}")
        if self.probed:
            with torch.inference_mode():
                output = self.run(inputs)
        else:
            output = self.probe(inputs)
        # copied outside inference mode: the loss may save these for backward
        return map_tensors(output, lambda tensor: tensor.to(torch.float32, copy=True))

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        if self.graphs is not None:
            self.graphs.clear()  # they read the weights where they were
        return self

    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        inputs = inputs.to(weights_dtype(self.mentor) or inputs.dtype)
        return inputs.contiguous(memory_format=self.memory_format) if self.transformed \
            else inputs

    @staticmethod
    def precision(inputs: torch.Tensor):
        """Autocast in the weights' dtype where it is reduced, so that tensors the forward
        makes in float32 (e.g. Swin's attention masks) meet the weights in one dtype."""
        reduced = inputs.dtype in (torch.float16, torch.bfloat16)
        return torch.autocast(inputs.device.type, dtype=inputs.dtype if reduced else None,
                              enabled=reduced, cache_enabled=False)

    def run(self, inputs: torch.Tensor):
        inputs = self.prepare(inputs)
        with self.precision(inputs):
            if self.graphs is not None and inputs.is_cuda:
                try:
                    return self.graphs(inputs)
                except CaptureError as error:
                    self.graphs = None
                    self.log(logging.WARNING, 'runs without CUDA graphs from now on: capturing '
                             f'a {tuple(inputs.shape)} batch failed ({error})')
            return self.run_mentor(inputs)

    def probe(self, inputs: torch.Tensor):
        """Run the first batch eager and transformed; keep the transformed mentor if it
        answers like the eager one. Returns the kept mentor's outputs."""
        self.probed = True
        eager = self.mentor
        expected, stray = self.run_reading(inputs)
        try:
            if stray:
                raise Refused(f'its forward reads {stray} weights that are not registered '
                              'parameters, so neither the fast path nor .to() would reach them')
            output, summary = self.try_fast_path(inputs, expected)
        except Refused as refusal:
            reason = str(refusal)
        except Exception as error:  # the probe's purpose: whatever breaks is named, eager runs
            reason = f'the fast path raised {describe(error)}'
        else:
            self.log(logging.INFO, f'passes its probe on a {tuple(inputs.shape)} '
                     f'{inputs.device.type} batch: {summary}')
            return output
        self.mentor, self.run_mentor, self.transformed, self.graphs = (
            eager, forward_of(eager), False, None)
        self.log(logging.WARNING, f'runs eager: {reason}')
        return expected

    def try_fast_path(self, inputs: torch.Tensor, expected) -> Tuple[Any, str]:
        """Transform the mentor, run it on the probe batch and compare; the outputs and a
        summary for the log, or :class:`Refused`."""
        batchnorms = sum(isinstance(module, _BatchNorm) for module in self.mentor.modules())
        with torch.no_grad():  # not inference mode: the new weights are ordinary tensors
            report = self.transform()
        output, stray = self.run_reading(inputs)
        if stray:
            raise Refused(f"the transformed mentor's forward reads {stray} weights that are "
                          'not its registered parameters: it does not run the modules that '
                          'were transformed')
        graph_note = self.start_graphs(inputs)
        if self.compile or self.graphs is not None:
            with torch.inference_mode():
                output = self.run(inputs)
        deviation = relative_deviation(output, expected)
        limit = tolerance(weights_dtype(self.mentor), inputs.device)
        if not deviation <= limit:
            raise Refused(f'its outputs differ from the eager ones by {deviation:.1e} of '
                          f'max(1, max|eager|), above the {limit:.0e} tolerance')
        done = [f'{report.folded} of {batchnorms} BatchNorms folded',
                f'{report.in_place} ReLUs and sums in place',
                str(self.memory_format).replace('torch.', ''),
                str(weights_dtype(self.mentor)).replace('torch.', '')]
        done += ['compiled'] * self.compile + [graph_note] * bool(graph_note)
        summary = f'{", ".join(done)}; max deviation {deviation:.1e} (tolerance {limit:.0e})'
        if report.untraced:
            more = f' ... ({len(report.untraced)} in all)' if len(report.untraced) > 3 else ''
            summary += '; not traced: ' + '; '.join(
                f'{path} ({why})' for path, why in report.untraced[:3]) + more
        return output, summary

    def run_reading(self, inputs: torch.Tensor) -> Tuple[Any, int]:
        """The mentor's plain forward (not compiled, no graph), and how many weights that
        are not its registered parameters it reads."""
        reads = ParameterReads()
        with reads, torch.inference_mode():
            inputs = self.prepare(inputs)
            with self.precision(inputs):
                output = forward_of(self.mentor)(inputs)
        return output, reads.unregistered(self.mentor)

    def transform(self) -> FoldReport:
        """Make ``self.mentor`` a transformed copy of the eager mentor."""
        fast, report = copy.deepcopy(self.mentor), FoldReport()
        if self.fold_bn:
            for name, child in list(fast.named_children()):
                if name != 'data_preprocessor':
                    setattr(fast, name, fold_batchnorm(child, name, report))
        fast = fast.to(memory_format=self.memory_format)
        self.mentor = fast.to(self.dtype) if self.dtype else fast
        self.run_mentor = forward_of(self.mentor)
        if self.compile:
            self.run_mentor = torch.compile(self.run_mentor)
        self.transformed = True
        return report

    def start_graphs(self, inputs: torch.Tensor) -> str:
        """Capture the first CUDA graph if asked to; a note for the log."""
        if not self.cuda_graph:
            return ''
        if not inputs.is_cuda:
            return f'no CUDA graph (the batch is on the {inputs.device.type})'
        inputs = self.prepare(inputs)
        graphs = CapturedForward(self.run_mentor, tolerance(inputs.dtype, inputs.device))
        try:
            with torch.inference_mode(), self.precision(inputs):
                graphs(inputs)
        except CaptureError as error:
            return f'no CUDA graph ({error})'
        self.graphs = graphs
        return 'CUDA graph'

    def log(self, level: int, message: str) -> None:
        print_log(f"mentor fast path: '{self.name}' {message}", logger='current', level=level)
