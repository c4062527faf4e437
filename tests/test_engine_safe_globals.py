"""classroomkd_mm/engine/safe_globals.py: MMEngine's checkpoints saved and loaded under
``weights_only``, within ``weights_only_checkpoints()`` or a Runner's opt-in hook only."""
import io
import pickle

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner

from classroomkd_mm.engine.safe_globals import (mmengine_checkpoint_globals,
                                                weights_only_checkpoints)

HAS_ALLOW_LIST = hasattr(torch.serialization, 'get_safe_globals')  # torch >= 2.4
LOADS_WEIGHTS_ONLY = tuple(int(v) for v in torch.__version__.split('.')[:2]) >= (2, 6)


def allow_list() -> set:
    return set(torch.serialization.get_safe_globals()) if HAS_ALLOW_LIST else set()


def assert_mmengine_as_shipped(allowed_before: set):
    assert HistoryBuffer.__getstate__.__module__ == 'mmengine.logging.history_buffer'
    assert allow_list() == allowed_before


def test_importing_the_plugin_changes_neither_torch_nor_mmengine():
    import classroomkd_mm  # noqa: F401
    assert HistoryBuffer.__getstate__.__module__ == 'mmengine.logging.history_buffer'
    assert not allow_list() & set(mmengine_checkpoint_globals())


def test_within_the_block_only_buffers_pickle_as_data_and_load_weights_only():
    buffer = HistoryBuffer()
    buffer.update(0.5)
    allowed_before = allow_list()
    assert b'getattr' in pickle.dumps(buffer, protocol=2)  # MMEngine pickles its functions
    with weights_only_checkpoints():
        assert b'getattr' not in pickle.dumps(buffer, protocol=2)
        file = io.BytesIO()
        torch.save(dict(message_hub=dict(log_scalars={'loss': buffer})), file)
        if HAS_ALLOW_LIST:
            file.seek(0)
            loaded = torch.load(file, weights_only=True)
            assert loaded['message_hub']['log_scalars']['loss'].mean() == 0.5
    assert_mmengine_as_shipped(allowed_before)
    if HAS_ALLOW_LIST:
        file.seek(0)
        with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
            torch.load(file, weights_only=True)


class Linear(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return dict(loss=self.linear(inputs).pow(2).mean())


def train(work_dir: str, iters: int, hook: bool, resume_from: str = None) -> Runner:
    data = [dict(inputs=torch.full((2, ), float(i))) for i in range(4)]
    hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False))
    if hook:
        hooks['weights_only_checkpoints'] = dict(type='ckd.WeightsOnlyCheckpointHook')
    runner = Runner(
        model=Linear(), work_dir=work_dir, experiment_name=work_dir, default_hooks=hooks,
        train_dataloader=dict(dataset=data, batch_size=2, collate_fn=dict(type='default_collate'),
                              sampler=dict(type='DefaultSampler', shuffle=False)),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        load_from=resume_from, resume=resume_from is not None)
    runner.train()
    return runner


def test_runner_with_the_hook_resumes_under_torch_default_weights_only(tmp_path):
    import classroomkd_mm  # noqa: F401  (registers the hook)
    allowed_before = allow_list()
    train(str(tmp_path / 'first'), iters=1, hook=True)
    checkpoint = str(tmp_path / 'first' / 'iter_1.pth')
    assert_mmengine_as_shipped(allowed_before)
    assert train(str(tmp_path / 'resumed'), 2, hook=True, resume_from=checkpoint).iter == 2
    assert sorted(p.name for p in (tmp_path / 'resumed').glob('*.pth')) == ['iter_2.pth']
    assert_mmengine_as_shipped(allowed_before)
    if LOADS_WEIGHTS_ONLY:  # without the hook, MMEngine's Runner cannot resume there
        with pytest.raises(pickle.UnpicklingError):
            train(str(tmp_path / 'refused'), 2, hook=False, resume_from=checkpoint)
