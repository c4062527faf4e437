"""Safe loading of mentor checkpoints (local path or URL).

Mentor weights are read by ``compat.load_checkpoint_file``: tensors, plain containers
and MMEngine's data types only, so a crafted file cannot run code (on every torch).
Trusted legacy files that pickle other objects need an explicit ``trust_checkpoint=True``.
"""
import os
import os.path as osp
import pickle
from typing import Tuple
from urllib.parse import urlparse

import torch
import torch.distributed as dist
from torch import nn

from .compat import load_checkpoint_file


def is_url(source: str) -> bool:
    return urlparse(source).scheme in ('http', 'https', 'file')


def hub_cache_path(url: str) -> str:
    """Where torch hub (and MMEngine's ``Pretrained`` init) cache ``url``."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(urlparse(url).path))


def local_copy(source: str, mentor: str) -> str:
    """The local file behind ``source``; URLs use torch hub's checkpoint cache.

    Under a process group, local rank 0 of each node fetches a missing file while the
    other ranks wait at a barrier; then every rank reads the cached copy.
    """
    if not is_url(source):
        if not osp.isfile(source):
            raise FileNotFoundError(
                f"mentor '{mentor}': checkpoint file {source!r} does not exist")
        return source
    cached = hub_cache_path(source)
    distributed = dist.is_available() and dist.is_initialized()
    fetches = not distributed or int(os.environ.get('LOCAL_RANK', dist.get_rank())) == 0
    error = None
    if fetches and not osp.isfile(cached):
        os.makedirs(osp.dirname(cached), exist_ok=True)
        try:
            torch.hub.download_url_to_file(source, cached, progress=False)
        except Exception as caught:  # no network, HTTP error, DNS failure...
            error = caught
    if distributed:
        dist.barrier()  # every rank reaches it, even when the fetch failed
    if error is not None or not osp.isfile(cached):
        reason = f' ({error})' if error is not None else ' (local rank 0 could not fetch it)'
        raise RuntimeError(
            f"mentor '{mentor}': could not fetch its weights from {source}{reason}. "
            f'Download the file and put it at {cached}, or set the mentor\'s '
            '`checkpoint` to a local path.') from error
    return cached


def read_checkpoint(source: str, mentor: str, trusted: bool = False) -> Tuple[dict, dict]:
    """State dict and meta of a zoo checkpoint (``{'state_dict', 'meta'}``) or bare state dict."""
    path = local_copy(source, mentor)
    try:
        checkpoint = load_checkpoint_file(path, trusted)
    except pickle.UnpicklingError as error:
        raise RuntimeError(
            f"mentor '{mentor}': {path} holds pickled objects beyond tensors and plain "
            'containers, so it was refused unread. If you trust this file, set '
            f'trust_checkpoint=True on the mentor. ({str(error).splitlines()[0]})') from None
    if not isinstance(checkpoint, dict):
        raise RuntimeError(f"mentor '{mentor}': {path} does not hold a state dict")
    state = checkpoint.get('state_dict', checkpoint)
    meta = checkpoint.get('meta') if isinstance(checkpoint.get('meta'), dict) else {}
    return {key[7:] if key.startswith('module.') else key: value
            for key, value in state.items()}, meta


def load_mentor_weights(model: nn.Module, source: str, mentor: str, trusted: bool = False) -> dict:
    """Load ``source`` into ``model``, naming every key that does not fit; return its meta.

    Loading goes through ``load_state_dict``, so the models' own pre-hooks
    (MMPose's renaming of 0.x keys, the timm wrapper's prefix) apply.
    """
    state, meta = read_checkpoint(source, mentor, trusted)
    prefix = f"mentor '{mentor}': checkpoint {source!r} does not fit the mentor architecture"
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as error:  # shape mismatches
        raise RuntimeError(f'{prefix}; {error}') from None
    problems = [f'{label}: {show_keys(keys)}' for label, keys in (
        ('missing keys', result.missing_keys), ('unexpected keys', result.unexpected_keys)) if keys]
    if problems:
        raise RuntimeError(f'{prefix}; ' + '; '.join(problems))
    return meta


def show_keys(keys, limit: int = 8) -> str:
    keys = sorted(keys)
    more = f' ... ({len(keys)} in all)' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more
