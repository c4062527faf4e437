"""Make MMEngine's checkpoints loadable with ``torch.load(weights_only=True)``.

torch >= 2.6 loads with ``weights_only=True`` by default (torch < 2.4 has no
allow-list to extend, and loads everything by default), which refuses
MMEngine 0.10's training checkpoints for two reasons:

* their message hub holds ``HistoryBuffer`` objects with numpy arrays and
  scalars: these data-only types are allow-listed here;
* ``HistoryBuffer`` pickles its statistics *functions*, which no safe load
  may accept. They are re-created when a buffer is loaded, so checkpoints
  written after importing this plugin leave them out.

Nothing that can run code is allow-listed: a file that pickles a callable is
still refused.
"""
import importlib

import numpy as np
from mmengine.logging.history_buffer import HistoryBuffer

from ..compat import NUMPY_ALIASES, add_safe_globals


def numpy_multiarray():
    """``numpy._core.multiarray`` (numpy 2) or ``numpy.core.multiarray`` (numpy 1; its
    ``numpy._core`` is only a stub for reading numpy 2 pickles)."""
    major = int(np.__version__.split('.')[0])
    return importlib.import_module('numpy._core.multiarray' if major >= 2 else 'numpy.core.multiarray')


def mmengine_checkpoint_globals() -> list:
    multiarray = numpy_multiarray()
    numpy_types = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar]
    numpy_types += [type(np.dtype(name)) for name in (
        'bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'float16', 'float32', 'float64')]
    return [HistoryBuffer] + numpy_types


def numpy_alias_globals() -> list:
    """``(function, name)`` pairs under the other numpy major's module name, so that a
    checkpoint written with numpy 1 (``numpy.core``) loads with numpy 2 and the reverse."""
    multiarray = numpy_multiarray()
    other = NUMPY_ALIASES[multiarray.__name__.rsplit('.', 1)[0]] + '.multiarray'
    return [(multiarray._reconstruct, f'{other}._reconstruct'),
            (multiarray.scalar, f'{other}.scalar')]


def history_buffer_state(buffer: HistoryBuffer) -> dict:
    """``HistoryBuffer``'s pickled state without its statistics functions."""
    return {key: value for key, value in buffer.__dict__.items()
            if key != 'statistics_methods'}


def install_safe_globals() -> None:
    """Allow MMEngine's data-only checkpoint types in ``weights_only`` loads, and
    keep functions out of the checkpoints MMEngine writes from now on (every torch: so
    that a checkpoint written on torch 2.1 loads under a newer torch's ``weights_only``)."""
    add_safe_globals(mmengine_checkpoint_globals(), aliases=numpy_alias_globals())
    HistoryBuffer.__getstate__ = history_buffer_state

