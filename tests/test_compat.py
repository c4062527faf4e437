"""classroomkd_mm/compat.py: each guarded feature, its fallback included, on the stack the
suite runs on (CI runs it on the oldest and the newest stack)."""
import io
import pickle
import tarfile

import numpy as np
import pytest
import torch
from torch import nn

from classroomkd_mm import compat


class Payload:
    """Pickles to a call of ``open(marker, 'w')``: the file appears if the payload runs."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_mmengine_checkpoint_with_numpy_and_history_buffers_loads(tmp_path):
    """As MMEngine writes it: its ``HistoryBuffer`` pickles its statistics methods."""
    from mmengine.logging import HistoryBuffer
    buffer = HistoryBuffer()
    buffer.update(0.5)
    checkpoint = dict(state_dict=nn.Linear(2, 1).state_dict(),
                      meta=dict(seed=np.int64(3), hist=np.arange(3.0), ids={1, 2}),
                      message_hub=dict(log_scalars={'train/loss': buffer}))
    torch.save(checkpoint, tmp_path / 'run.pth')
    loaded = compat.load_checkpoint_file(str(tmp_path / 'run.pth'))
    assert loaded['meta']['seed'] == 3 and loaded['meta']['hist'].tolist() == [0.0, 1.0, 2.0]
    assert loaded['meta']['ids'] == {1, 2}
    assert loaded['message_hub']['log_scalars']['train/loss'].statistics('mean') == 0.5
    assert torch.equal(loaded['state_dict']['weight'], checkpoint['state_dict']['weight'])


class OtherAttribute:
    """Pickles to ``getattr(HistoryBuffer, 'update')``: not one of its statistics."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return (getattr, (HistoryBuffer, 'update'))


def test_getattr_of_anything_but_a_history_buffer_statistic_is_refused(tmp_path):
    torch.save(dict(meta=dict(method=OtherAttribute())), tmp_path / 'other.pth')
    with pytest.raises(pickle.UnpicklingError, match="getattr.*'update'"):
        compat.load_checkpoint_file(str(tmp_path / 'other.pth'))


@pytest.mark.skipif(not hasattr(torch.serialization, 'get_safe_globals'),
                    reason='torch < 2.4 has no allow-list')
def test_safe_globals_restores_torch_allow_list_as_it_was():
    from mmengine.logging import HistoryBuffer
    torch.serialization.add_safe_globals([Payload])  # allowed before the block: stays so
    try:
        before = set(torch.serialization.get_safe_globals())
        with compat.safe_globals([HistoryBuffer, Payload]):
            assert {HistoryBuffer, Payload} <= set(torch.serialization.get_safe_globals())
        assert set(torch.serialization.get_safe_globals()) == before
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(list(before - {Payload}))


@pytest.mark.parametrize('legacy_format', [False, True])
def test_pickled_callable_is_refused_before_it_runs(tmp_path, legacy_format):
    marker = tmp_path / 'marker'
    torch.save(dict(state_dict={}, meta=dict(payload=Payload(str(marker)))),
               tmp_path / 'evil.pth', _use_new_zipfile_serialization=not legacy_format)
    with pytest.raises(pickle.UnpicklingError, match=r'GLOBAL (io|builtins)\.open'):
        compat.load_checkpoint_file(str(tmp_path / 'evil.pth'))
    assert not marker.exists()
    compat.load_checkpoint_file(str(tmp_path / 'evil.pth'), trusted=True)
    assert marker.exists()  # the explicit opt-in loads it (and so runs the payload)


def test_numpy_pickles_of_either_major_version_load(tmp_path):
    """numpy 2 writes ``numpy._core.multiarray``, numpy 1 ``numpy.core.multiarray``: a
    checkpoint from either stack names one of them, and both load on this stack."""
    torch.save(dict(array=np.arange(4, dtype=np.float32)), tmp_path / 'a.pth')
    with open(tmp_path / 'a.pth', 'rb') as f:
        original = f.read()
    this_stack = b'numpy._core.multiarray' if b'numpy._core.multiarray' in original \
        else b'numpy.core.multiarray'
    other_stack = (b'numpy.core.multiarray' if this_stack == b'numpy._core.multiarray'
                   else b'numpy._core.multiarray')
    rewritten = rewrite_zip_member(original, 'data.pkl', this_stack, other_stack)
    (tmp_path / 'b.pth').write_bytes(rewritten)
    from classroomkd_mm.engine import weights_only_checkpoints
    for name in ('a.pth', 'b.pth'):
        loaded = compat.load_checkpoint_file(str(tmp_path / name))
        assert loaded['array'].tolist() == [0.0, 1.0, 2.0, 3.0]
        # torch's defaults, as MMEngine's Runner resumes with ckd.WeightsOnlyCheckpointHook
        # (weights_only=True from torch 2.6)
        with weights_only_checkpoints():
            assert torch.load(str(tmp_path / name))['array'].tolist() == [0.0, 1.0, 2.0, 3.0]


def rewrite_zip_member(data: bytes, suffix: str, old: bytes, new: bytes) -> bytes:
    """Replace ``old`` by ``new`` in a torch zip file's member ending in ``suffix``
    (protocol 2 pickles name globals as text, so a plain replace stays valid)."""
    import zipfile
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, 'w', zipfile.ZIP_STORED) as out:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith(suffix):
                assert old in content
                content = content.replace(old, new)
            out.writestr(info, content)
    return target.getvalue()


def prefixed_module():
    """A module whose state dict drops the ``inner.`` prefix and loads it back."""
    module = nn.Module()
    module.inner = nn.Linear(2, 2)

    def drop(module, state_dict, prefix, local_metadata):
        for key in [k for k in state_dict if k.startswith(prefix + 'inner.')]:
            state_dict[prefix + key[len(prefix + 'inner.'):]] = state_dict.pop(key)

    def add(module, state_dict, prefix, *rest):
        for key in [k for k in state_dict if not k.startswith(prefix + 'inner.')]:
            state_dict[prefix + 'inner.' + key[len(prefix):]] = state_dict.pop(key)
    return module, drop, add


@pytest.mark.parametrize('state', [compat.autocast_state,
                                   compat.autocast_state_before_torch_2_4])
def test_autocast_state_is_read_per_device_type(state):
    assert state('cpu')[0] is False
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert state('cpu') == (True, torch.bfloat16) and state('cuda')[0] is False


@pytest.mark.parametrize('register', [compat.register_state_dict_hooks,
                                      compat.register_state_dict_hooks_before_torch_2_5])
def test_state_dict_hooks_rename_on_save_and_load(register):
    module, drop, add = prefixed_module()
    register(module, post_save=drop, pre_load=add)
    state = module.state_dict()
    assert sorted(state) == ['bias', 'weight']
    other, drop, add = prefixed_module()
    register(other, post_save=drop, pre_load=add)
    other.load_state_dict({key: value + 1 for key, value in state.items()})
    assert torch.equal(other.inner.weight, module.inner.weight + 1)


def tar_with(*members) -> tarfile.TarFile:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode='w') as archive:
        for name, kind in members:
            info = tarfile.TarInfo(name)
            if kind == 'symlink':
                info.type, info.linkname = tarfile.SYMTYPE, '/etc/passwd'
                archive.addfile(info)
            else:
                info.size = 2
                archive.addfile(info, io.BytesIO(b'ok'))
    buffer.seek(0)
    return tarfile.open(fileobj=buffer)


@pytest.mark.parametrize('extract', [compat.extract_tar, compat.extract_plain_members])
def test_archives_extract_plain_files_and_refuse_escapes(tmp_path, extract):
    extract(tar_with(('a/b.txt', 'file')), str(tmp_path / 'out'))
    assert (tmp_path / 'out' / 'a' / 'b.txt').read_bytes() == b'ok'
    for member in (('../escape.txt', 'file'), ('a/link', 'symlink')):
        with pytest.raises(tarfile.TarError):
            extract(tar_with(member), str(tmp_path / 'refused'))
    assert not (tmp_path / 'escape.txt').exists()
    assert not (tmp_path / 'refused' / 'a' / 'link').exists()
