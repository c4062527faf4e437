"""MMEngine's training checkpoints, saved and loaded under ``torch.load(weights_only=True)``.

torch >= 2.6 loads with ``weights_only=True`` by default (torch < 2.4 has no
allow-list to extend, and loads everything by default), which refuses
MMEngine 0.10's training checkpoints for two reasons:

* their message hub holds ``HistoryBuffer`` objects with numpy arrays and
  scalars: these data-only types are allow-listed;
* ``HistoryBuffer`` pickles its statistics *functions*, which no safe load
  may accept. They are re-created when a buffer is loaded, so they are left out.

Both changes are scoped: ``weights_only_checkpoints()`` makes them for one block, and
``WeightsOnlyCheckpointHook`` (which every shipped config enables) makes them around a
Runner's own checkpoint saves and loads. Importing the plugin changes neither torch's
allow-list nor ``HistoryBuffer``. Nothing that can run code is allow-listed: a file that
pickles a callable is still refused.
"""
import functools
import importlib
from contextlib import contextmanager

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging.history_buffer import HistoryBuffer

from ..compat import NUMPY_ALIASES, safe_globals
from ..registry import HOOKS


def numpy_multiarray():
    """``numpy._core.multiarray`` (numpy 2) or ``numpy.core.multiarray`` (numpy 1; its
    ``numpy._core`` is only a stub for reading numpy 2 pickles)."""
    major = int(np.__version__.split('.')[0])
    return importlib.import_module(
        'numpy._core.multiarray' if major >= 2 else 'numpy.core.multiarray')


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


@contextmanager
def weights_only_checkpoints():
    """Within the block, torch's ``weights_only`` loads accept MMEngine's data-only
    checkpoint types, and ``HistoryBuffer`` pickles without its functions (on every torch,
    so that a checkpoint written on torch 2.1 loads under a newer torch's ``weights_only``).
    Both are restored on exit."""
    original = HistoryBuffer.__getstate__
    HistoryBuffer.__getstate__ = history_buffer_state
    try:
        with safe_globals(mmengine_checkpoint_globals(), aliases=numpy_alias_globals()):
            yield
    finally:
        HistoryBuffer.__getstate__ = original


def within_weights_only_checkpoints(method):
    """``method``, run within ``weights_only_checkpoints()``."""

    @functools.wraps(method)
    def scoped(*args, **kwargs):
        with weights_only_checkpoints():
            return method(*args, **kwargs)
    return scoped


@HOOKS.register_module()
class WeightsOnlyCheckpointHook(Hook):
    """The Runner saves and loads its checkpoints (``save_checkpoint``, ``load_checkpoint``:
    resume, ``load_from``, ``tools/test.py``) within ``weights_only_checkpoints()``, so
    they resume under torch's default ``weights_only=True``. Enable it in a config with
    ``default_hooks = dict(weights_only_checkpoints=dict(type='ckd.WeightsOnlyCheckpointHook'))``.
    """
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        # the Runner loads (resumes) right after ``before_run``, and saves in later hooks
        for name in ('save_checkpoint', 'load_checkpoint'):
            if name not in vars(runner):  # not yet wrapped (runner.test() after train())
                setattr(runner, name, within_weights_only_checkpoints(getattr(runner, name)))
