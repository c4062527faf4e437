"""Mentor outputs shared by the runs of a sweep: each batch's mentor forward computed once.

While :func:`sharing_mentor_outputs` is active, :meth:`ClassroomKDDistiller.mentor_outputs
<classroomkd_mm.distiller.ClassroomKDDistiller.mentor_outputs>` asks the
:class:`MentorOutputCache` before it runs a mentor. The key is the content of what the
mentor would compute from: the mentor (its spec, fast path and task adapter:
:func:`mentor_key`), the exact bytes, shape, strides, dtype and device of its input batch
(after the data preprocessor, the batch augments and the mentor's own normalisation and
size), and the autocast state. A student thus gets the mentor's output for the very crop it
sees, never one for another augmentation of the same image (the mistake torchdistill's
PR #539 removed).

The key is the whole batch, not each sample: a mentor's output for one sample can depend,
in its last bits, on the rest of its batch (kernels chosen by batch size), so only the same
batch guarantees the value the mentor would compute. The runs of one seed see the same
batches (same sampler seed, same crops: :class:`~.datasets.cifar10.RandomCropFlip`; same
student: :func:`~.mentors.frozen_mentors`), so a sweep hits on every batch after its first
run. A hit returns a copy of exactly what the mentor computed (kept on the CPU, dtype and
structure as they were, e.g. SimCC's (x, y) pair). It assumes, as the task adapters do,
that a mentor's output depends on its inputs alone (not on the data samples), and that one
spec gives one mentor within a sharing block: a mentor without a checkpoint has random
weights, the same in every run of one seed.
"""
import hashlib
import json
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, Optional

import torch
from torch import Tensor
from torch.utils._pytree import tree_flatten, tree_map

from .compat import autocast_state

_active: Optional['MentorOutputCache'] = None


def mentor_key(spec: dict, fast_path: Optional[dict], adapter: Any) -> str:
    """What makes a mentor: its spec (name, model, checkpoint, input size), the fast path
    it runs behind and the task adapter that calls it."""
    spec = {key: value for key, value in spec.items() if key != 'trust_checkpoint'}
    return json.dumps([spec, fast_path, type(adapter).__qualname__], sort_keys=True,
                      default=repr)


def batch_key(inputs: Tensor) -> tuple:
    """The exact content of a batch: a digest of its bytes, and its layout."""
    data = inputs.detach().contiguous().cpu().view(-1).view(torch.uint8).numpy()
    autocast, dtype = autocast_state(inputs.device.type)
    return (hashlib.blake2b(data, digest_size=20).hexdigest(), tuple(inputs.shape),
            inputs.stride(), str(inputs.dtype), inputs.device.type, autocast and str(dtype))


def copy_to(output: Any, device) -> Any:
    """A copy of every tensor of ``output`` on ``device``; the rest as it is."""
    return tree_map(lambda leaf: leaf.detach().to(device, copy=True)
                    if isinstance(leaf, Tensor) else leaf, output)


class MentorOutputCache:
    """Mentor outputs by (mentor, input batch), kept on the CPU.

    Args:
        max_bytes: stop storing new outputs once they take this much memory (they are then
            computed on every call, as without a cache); None: no limit.

    ``hits`` and ``misses`` count the lookups, one per mentor and batch; ``bytes``, what the
    stored outputs take.
    """

    def __init__(self, max_bytes: Optional[int] = None):
        self.max_bytes = max_bytes
        self.outputs: Dict[tuple, Any] = {}
        self.hits = self.misses = self.bytes = 0

    def output(self, mentor: str, inputs: Tensor, compute: Callable[[], Any]) -> Any:
        """The mentor's output for ``inputs``: from the cache, or ``compute()`` stored."""
        key = (mentor,) + batch_key(inputs)
        if key in self.outputs:
            self.hits += 1
            return copy_to(self.outputs[key], inputs.device)
        self.misses += 1
        output = compute()
        size = sum(leaf.element_size() * leaf.nelement()
                   for leaf in tree_flatten(output)[0] if isinstance(leaf, Tensor))
        if self.max_bytes is None or self.bytes + size <= self.max_bytes:
            self.outputs[key] = copy_to(output, 'cpu')
            self.bytes += size
        return output


def mentor_output(mentor: str, inputs: Tensor, compute: Callable[[], Any]) -> Any:
    """``compute()``, the mentor's output for ``inputs``: through the active cache, if any."""
    return compute() if _active is None else _active.output(mentor, inputs, compute)


@contextmanager
def sharing_mentor_outputs(cache: Optional[MentorOutputCache] = None
                           ) -> Iterator[MentorOutputCache]:
    """Within the block, every distiller of the process reads and fills ``cache`` (a new
    one by default)."""
    global _active
    if _active is not None:
        raise RuntimeError('sharing_mentor_outputs blocks do not nest')
    _active = cache if cache is not None else MentorOutputCache()
    try:
        yield _active
    finally:
        _active = None
