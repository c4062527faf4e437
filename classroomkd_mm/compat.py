"""Every feature newer than the oldest supported stack, behind one guard each.

The oldest stack that CI tests is Python 3.10, torch 2.1, numpy 1.26 (README,
"Installing into an existing workspace"). Each function here uses the newer
API where it exists and a tested fallback where it does not, so that importing
the plugin never fails on a version inside the supported range.
"""
import _compat_pickle
import functools
import importlib
import os.path as osp
import pickle
import tarfile
from contextlib import contextmanager
from typing import Iterable, Optional

import torch
from torch import nn

# --- checkpoints: loading that refuses code on every torch version -----------------------

# numpy 2 moved ``numpy.core`` to ``numpy._core``; pickles name whichever wrote them.
NUMPY_ALIASES = {'numpy.core': 'numpy._core', 'numpy._core': 'numpy.core'}
# What a checkpoint may name beyond torch's own allow-list: data types only, no code.
DATA_GLOBALS = {
    # plain containers and values (today's torch allow-lists these too; torch 2.1 does not)
    '_codecs.encode',  # protocol-2 pickles write bytes as _codecs.encode(str, 'latin1')
    'builtins.bytearray', 'builtins.complex', 'builtins.set', 'builtins.frozenset',
    'builtins.slice', 'collections.Counter', 'collections.OrderedDict',
    # tensors' companions
    'torch.Size', 'torch.device', 'torch.nn.parameter.Parameter',
    'torch.serialization._get_layout',
    # MMEngine's message hub and numpy (see engine/safe_globals.py)
    'mmengine.logging.history_buffer.HistoryBuffer', 'numpy.ndarray', 'numpy.dtype',
    'numpy.core.multiarray._reconstruct', 'numpy.core.multiarray.scalar',
    'numpy._core.multiarray._reconstruct', 'numpy._core.multiarray.scalar',
}


@functools.lru_cache(maxsize=None)
def torch_allowed_globals() -> frozenset:
    """The names torch's own ``weights_only`` unpickler accepts (tensors, dtypes, layouts)."""
    from torch import _weights_only_unpickler
    return frozenset(_weights_only_unpickler._get_allowed_globals())


def is_allowed_global(module: str, name: str) -> bool:
    full = f'{module}.{name}'
    if full in DATA_GLOBALS or full in torch_allowed_globals():
        return True
    return module == 'numpy.dtypes' and name.endswith('DType')  # numpy >= 1.25's dtype classes


def import_global(module: str, name: str):
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        for old, new in NUMPY_ALIASES.items():
            if module.startswith(old + '.'):
                return getattr(importlib.import_module(new + module[len(old):]), name)
        raise


def python3_name(module: str, name: str) -> tuple:
    """``(module, name)`` as Python 3 names them (protocol-2 pickles say ``__builtin__``)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def history_buffer_statistic(owner, name: str):
    """``getattr`` as MMEngine's ``HistoryBuffer`` pickles its statistics methods, for
    those methods only (they are plain functions of MMEngine's, and nothing calls them)."""
    from mmengine.logging.history_buffer import HistoryBuffer
    if owner is not HistoryBuffer or name not in ('min', 'max', 'current', 'mean'):
        raise pickle.UnpicklingError(f'Unsupported call: getattr({owner!r}, {name!r}) is not '
                                     "one of MMEngine's HistoryBuffer statistics")
    return getattr(HistoryBuffer, name)


class DataOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds tensors, containers and MMEngine's data types, and
    refuses every other global (so no callable a file names can run). The one
    ``getattr`` it allows returns a ``HistoryBuffer`` statistics method, which MMEngine
    pickles into its training checkpoints."""

    def find_class(self, module, name):
        module, name = python3_name(module, name)
        if (module, name) == ('builtins', 'getattr'):
            return history_buffer_statistic
        if not is_allowed_global(module, name):
            raise pickle.UnpicklingError(
                f'Unsupported global: GLOBAL {module}.{name} is not a tensor, plain '
                'container or MMEngine data type')
        return import_global(module, name)


class data_only_pickle:  # noqa: N801  (a module-like namespace for ``torch.load``)
    """``torch.load(pickle_module=...)``: the standard pickle with the data-only unpickler."""
    Unpickler = DataOnlyUnpickler
    __name__ = 'data_only_pickle'

    @staticmethod
    def load(file, **kwargs):  # torch's legacy (non-zip) format reads its header with it
        return DataOnlyUnpickler(file, **kwargs).load()


def load_checkpoint_file(path: str, trusted: bool = False, map_location='cpu'):
    """``torch.load`` a checkpoint; unless ``trusted``, only tensors, plain containers and
    MMEngine's data types are built, on every torch version.

    The same unpickler runs on torch 2.1 (whose ``weights_only`` allow-list cannot be
    extended) and on today's torch, and it reads numpy 1 and numpy 2 pickles alike,
    so a checkpoint moves between the oldest and the newest stack in both directions.
    A refused file raises ``pickle.UnpicklingError``.
    """
    if trusted:
        return torch.load(path, map_location=map_location, weights_only=False)
    return torch.load(path, map_location=map_location, weights_only=False,
                      pickle_module=data_only_pickle)


@contextmanager
def safe_globals(objects: list, aliases: list = ()):
    """Within the block, torch's ``weights_only`` loads also accept ``objects``; on exit,
    torch's allow-list is what it was before. ``aliases`` are ``(object, 'module.name')``
    pairs for objects that pickles name otherwise, which torch takes from 2.6 on.

    torch < 2.4 has no allow-list (and, like torch < 2.6, loads with
    ``weights_only=False`` by default): the block then changes nothing.
    """
    serialization = torch.serialization
    if not hasattr(serialization, 'get_safe_globals'):
        yield
        return
    before = serialization.get_safe_globals()
    serialization.add_safe_globals(list(objects))
    try:
        serialization.add_safe_globals(list(aliases))
    except (TypeError, AttributeError):  # torch 2.4-2.5: no (object, name) pairs
        pass
    try:
        yield
    finally:
        serialization.clear_safe_globals()
        serialization.add_safe_globals(before)


# --- nn.Module state-dict hooks ---------------------------------------------------------

def register_state_dict_hooks(module: nn.Module, post_save, pre_load) -> None:
    """``post_save(module, state_dict, prefix, local_metadata)`` after ``state_dict()`` and
    ``pre_load(module, state_dict, prefix, *rest)`` before ``load_state_dict()``.

    torch >= 2.5 has public methods for both; older torch has their private forms.
    """
    public_save = getattr(module, 'register_state_dict_post_hook', None)
    public_load = getattr(module, 'register_load_state_dict_pre_hook', None)
    if public_save is not None and public_load is not None:
        public_save(post_save)
        public_load(pre_load)
    else:
        register_state_dict_hooks_before_torch_2_5(module, post_save, pre_load)


def register_state_dict_hooks_before_torch_2_5(module: nn.Module, post_save, pre_load) -> None:
    """The same hooks through the private methods torch 2.1-2.4 have (and later torch keeps)."""
    module._register_state_dict_hook(post_save)
    module._register_load_state_dict_pre_hook(pre_load, with_module=True)


# --- autocast -----------------------------------------------------------------------------

def autocast_state(device_type: str) -> tuple:
    """(enabled, dtype) of autocast on ``device_type``: torch >= 2.4 takes the device type."""
    if hasattr(torch, 'get_autocast_dtype'):
        return torch.is_autocast_enabled(device_type), torch.get_autocast_dtype(device_type)
    return autocast_state_before_torch_2_4(device_type)


def autocast_state_before_torch_2_4(device_type: str) -> tuple:
    """The same from torch 2.1-2.3's functions, one per device: the CPU, and the GPU for
    every other type (later torch keeps them, deprecated)."""
    if device_type == 'cpu':
        return torch.is_autocast_cpu_enabled(), torch.get_autocast_cpu_dtype()
    return torch.is_autocast_enabled(), torch.get_autocast_gpu_dtype()


# --- archives -----------------------------------------------------------------------------

def extract_tar(archive: tarfile.TarFile, dest: str,
                members: Optional[Iterable[tarfile.TarInfo]] = None) -> None:
    """``archive.extractall`` with the ``'data'`` filter where Python has it (3.12, and late
    3.8-3.11 patch releases); elsewhere regular files and folders only, inside ``dest``."""
    if hasattr(tarfile, 'data_filter'):
        archive.extractall(dest, members=members, filter='data')
    else:
        extract_plain_members(archive, dest, members)


def extract_plain_members(archive: tarfile.TarFile, dest: str,
                          members: Optional[Iterable[tarfile.TarInfo]] = None) -> None:
    """Extract regular files and folders that land inside ``dest``; refuse anything else
    (links, devices, absolute or ``..`` paths) before extracting any member."""
    root = osp.realpath(dest)
    members = list(archive.getmembers() if members is None else members)
    for member in members:
        target = osp.realpath(osp.join(root, member.name))
        if not (member.isfile() or member.isdir()) or osp.commonpath([root, target]) != root:
            raise tarfile.TarError(f'refusing to extract {member.name!r}: not a plain '
                                   f'file or folder inside {dest}')
    archive.extractall(dest, members=members)

