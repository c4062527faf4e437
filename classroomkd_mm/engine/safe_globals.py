"""Make MMEngine's checkpoints loadable with ``torch.load(weights_only=True)``.

torch >= 2.6 loads with ``weights_only=True`` by default, which refuses
MMEngine 0.10's training checkpoints for two reasons:

* their message hub holds ``HistoryBuffer`` objects with numpy arrays and
  scalars: these data-only types are allow-listed here;
* ``HistoryBuffer`` pickles its statistics *functions*, which no safe load
  may accept. They are re-created when a buffer is loaded, so checkpoints
  written after importing this plugin leave them out.

Nothing that can run code is allow-listed: a file that pickles a callable is
still refused.
"""
import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer


def mmengine_checkpoint_globals() -> list:
    numpy_core = np._core if hasattr(np, '_core') else np.core
    numpy_types = [np.ndarray, np.dtype, numpy_core.multiarray._reconstruct,
                   numpy_core.multiarray.scalar]
    numpy_types += [type(np.dtype(name)) for name in (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'float16', 'float32', 'float64')]
    return [HistoryBuffer] + numpy_types


def history_buffer_state(buffer: HistoryBuffer) -> dict:
    """``HistoryBuffer``'s pickled state without its statistics functions."""
    return {key: value for key, value in buffer.__dict__.items()
            if key != 'statistics_methods'}


def install_safe_globals() -> None:
    """Allow MMEngine's data-only checkpoint types in ``weights_only`` loads, and
    keep functions out of the checkpoints MMEngine writes from now on."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_globals())
    HistoryBuffer.__getstate__ = history_buffer_state

