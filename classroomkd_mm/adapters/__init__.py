"""Task adapters: how the distiller reads classifiers and pose estimators."""
import inspect
from typing import Optional

from torch import nn

from ..registry import MODELS
from .base import Call, TaskAdapter, describe, per_sample_losses, recording_calls
from .classification import ClassificationAdapter
from .mentor_inputs import MentorInputs, Normalisation, normalisations, read_normalisation
from .pose import HeatmapAdapter, KeypointAdapter, SimCCAdapter

ADAPTERS = (HeatmapAdapter, SimCCAdapter, ClassificationAdapter)


def select_adapter(student: nn.Module, cfg: Optional[dict] = None) -> TaskAdapter:
    """The adapter for ``student``, chosen once: the one ``cfg['type']`` names
    (``'ckd.HeatmapAdapter'``...), or without a type the one that reads the student's
    head. The other keys of ``cfg`` are the adapter's options."""
    options = dict(cfg or {})
    name = options.pop('type', None)
    if name is None:
        adapter = next((adapter for adapter in ADAPTERS if adapter.accepts(student)), None)
        if adapter is None:
            raise TypeError(f'ClassroomKD cannot read a {describe(student)} as a student; '
                            'supported: ' + '; '.join(a.supported for a in ADAPTERS))
    else:
        adapter = MODELS.get(name)
        if not (isinstance(adapter, type) and issubclass(adapter, TaskAdapter)):
            raise ValueError(f'adapter type {name!r} is not a task adapter; choose one of '
                             + ', '.join(f'ckd.{a.__name__}' for a in ADAPTERS))
        if not adapter.accepts(student):
            raise TypeError(f'adapter {name} cannot read a {describe(student)}; it reads '
                            f'{adapter.supported}')
    allowed = sorted(set(inspect.signature(adapter).parameters) - {'student'})
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f'adapter {adapter.__name__} (for a {describe(student)}) takes no '
                         f'option {unknown}; its options are {allowed}')
    return adapter(student, **options)


__all__ = ['Call', 'ClassificationAdapter', 'HeatmapAdapter', 'KeypointAdapter',
           'MentorInputs', 'Normalisation', 'SimCCAdapter', 'TaskAdapter', 'normalisations',
           'per_sample_losses', 'read_normalisation', 'recording_calls', 'select_adapter']
