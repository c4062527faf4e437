"""Task adapters: how the distiller reads classifiers and pose estimators."""
from typing import Optional

from mmengine.registry import MODELS
from torch import nn

from .base import Call, TaskAdapter, describe, per_sample_losses, recording_calls
from .classification import ClassificationAdapter
from .mentor_inputs import MentorInputs, Normalisation, normalisations, read_normalisation
from .pose import PoseAdapter

ADAPTERS = (PoseAdapter, ClassificationAdapter)


def select_adapter(student: nn.Module, cfg: Optional[dict] = None) -> TaskAdapter:
    """The adapter ``cfg`` names (``dict(type='PoseAdapter', ...)``), or the one that
    understands ``student``."""
    if cfg is not None:
        adapter = MODELS.build(dict(cfg, student=student))
        if not adapter.accepts(student):
            raise TypeError(f'adapter {cfg["type"]} cannot read a {describe(student)}; it reads '
                            f'{adapter.supported}')
        return adapter
    for adapter in ADAPTERS:
        if adapter.accepts(student):
            return adapter(student)
    raise TypeError(f'ClassroomKD cannot read a {describe(student)} as a student; supported: '
                    + '; '.join(adapter.supported for adapter in ADAPTERS))


__all__ = ['Call', 'ClassificationAdapter', 'MentorInputs', 'Normalisation', 'PoseAdapter',
           'TaskAdapter', 'normalisations', 'per_sample_losses', 'read_normalisation',
           'recording_calls', 'select_adapter']
