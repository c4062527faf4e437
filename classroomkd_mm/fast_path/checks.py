"""What the probe needs: a mentor's outputs (a tensor, or a tuple of tensors for pose heads)
copied and compared, and errors named in one line."""
from typing import Callable, List

import torch


def map_tensors(output, fn: Callable):
    if isinstance(output, torch.Tensor):
        return fn(output)
    return type(output)(map_tensors(item, fn) for item in output)


def tensors_of(output) -> List[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        return [output]
    return [tensor for item in output for tensor in tensors_of(item)]


def relative_deviation(output, expected) -> float:
    """``max |output - expected| / max(1, max |expected|)``, the worst over the tensors;
    NaN where either holds a NaN. One host read: run it once, not per step."""
    pairs = list(zip(tensors_of(output), tensors_of(expected), strict=True))
    for got, want in pairs:
        if got.shape != want.shape:
            raise ValueError(f'output shape {tuple(got.shape)} is not the eager '
                             f'{tuple(want.shape)}')
    worst = torch.stack([
        (got.double() - want.double()).abs().max() / want.double().abs().max().clamp_min(1)
        for got, want in pairs])
    return worst.max().item()


def describe(error: BaseException) -> str:
    """``'TypeName: first line of the message'``."""
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
