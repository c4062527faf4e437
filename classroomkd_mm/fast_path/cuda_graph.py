"""CUDA-graph replay of a frozen mentor's forward."""
from collections import OrderedDict
from typing import Callable

import torch

from .checks import describe, map_tensors, relative_deviation

WARMUP_CALLS = 3


class CaptureError(RuntimeError):
    """A forward that CUDA refused to capture, or whose replay differed from it."""


class CapturedForward:
    """``fn(inputs)`` captured as a CUDA graph once per input shape, strides, dtype and
    device, then replayed: one launch per forward instead of one per kernel.

    As PyTorch documents it: each capture warms ``fn`` up on a side stream, then
    captures it reading a static input buffer. A call copies its batch into that
    buffer, replays the graph and returns clones of the static outputs, which the
    next replay overwrites. Each new graph's first replay is checked against the
    warm-up's eager output (within ``tolerance``, see :func:`relative_deviation`).

    Memory: each graph keeps its static input batch, its static outputs and a
    private memory pool holding the forward's intermediate tensors at that shape
    (about the peak memory of one inference forward). At most ``max_graphs`` are
    kept; the least recently used one is dropped, and its pool freed, beyond that.
    """

    def __init__(self, fn: Callable, tolerance: float, max_graphs: int = 4):
        self.fn, self.tolerance, self.max_graphs = fn, tolerance, max_graphs
        self.captured = OrderedDict()

    def __len__(self) -> int:
        return len(self.captured)

    def clear(self) -> None:
        """Drop every graph: they read the weights where they were at capture."""
        self.captured.clear()

    def __call__(self, inputs: torch.Tensor):
        key = (tuple(inputs.shape), inputs.stride(), inputs.dtype, inputs.device)
        if key in self.captured:
            self.captured.move_to_end(key)
        else:
            self.captured[key] = self.capture(inputs)
            if len(self.captured) > self.max_graphs:
                self.captured.popitem(last=False)
        graph, static_inputs, static_outputs = self.captured[key]
        static_inputs.copy_(inputs)
        graph.replay()
        return map_tensors(static_outputs, torch.clone)

    def capture(self, inputs: torch.Tensor) -> tuple:
        """Warm up, capture and check one graph; :class:`CaptureError` if CUDA refuses."""
        try:
            with torch.cuda.device(inputs.device):
                static_inputs = inputs.clone()
                side = torch.cuda.Stream()
                side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side):
                    for _ in range(WARMUP_CALLS):
                        eager = self.fn(static_inputs)
                torch.cuda.current_stream().wait_stream(side)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    static_outputs = self.fn(static_inputs)
                graph.replay()
                deviation = relative_deviation(static_outputs, eager)
        except RuntimeError as error:  # CUDA errors, an op that refuses capture
            raise CaptureError(describe(error)) from error
        if not deviation <= self.tolerance:
            raise CaptureError(f'its replay differs from the eager forward by {deviation:.1e}')
        return graph, static_inputs, static_outputs
