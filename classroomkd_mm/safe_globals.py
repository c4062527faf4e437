"""The few non-tensor types MMEngine writes into checkpoints, allowed for ``weights_only`` loads.

torch >= 2.6 loads with ``weights_only=True`` by default, which refuses
MMEngine's own training checkpoints (their message hub holds
``HistoryBuffer`` objects and numpy arrays). This module allow-lists exactly
those data-only types, so resuming works while arbitrary pickled callables
are still refused.
"""
import contextlib

import numpy as np
import torch


def mmengine_checkpoint_globals() -> list:
    from mmengine.logging.history_buffer import HistoryBuffer
    numpy_core = np._core if hasattr(np, '_core') else np.core
    numpy_types = [np.ndarray, np.dtype, numpy_core.multiarray._reconstruct]
    numpy_types += [type(np.dtype(name)) for name in (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'float16', 'float32', 'float64')]
    numpy_types += [np.bool_, np.int64, np.int32, np.float64, np.float32]
    return [HistoryBuffer] + numpy_types


def install_safe_globals() -> None:
    """Allow MMEngine's data-only checkpoint types in every ``weights_only`` load."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())


@contextlib.contextmanager
def allow_mmengine_checkpoint_globals():
    with torch.serialization.safe_globals(mmengine_checkpoint_globals()):
        yield
