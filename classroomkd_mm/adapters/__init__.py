"""Task adapters: how the distiller reads classifiers and pose estimators."""
from typing import Optional

from mmengine.registry import MODELS
from torch import nn

from .base import TaskAdapter, capture_forward
from .classification import ClassificationAdapter
from .pose import PoseAdapter


def select_adapter(student: nn.Module, cfg: Optional[dict] = None) -> TaskAdapter:
    """The adapter ``cfg`` names (``dict(type='PoseAdapter', ...)``), or the one that
    understands ``student``."""
    if cfg is not None:
        adapter = MODELS.build(dict(cfg, student=student))
        if not adapter.accepts(student):
            raise TypeError(f'adapter {cfg["type"]} cannot read a {type(student).__name__}')
        return adapter
    for adapter in (PoseAdapter, ClassificationAdapter):
        if adapter.accepts(student):
            return adapter(student)
    raise TypeError(f'ClassroomKD does not know how to read a {type(student).__name__}: '
                    'the student must be an MMPretrain classifier or an MMPose top-down '
                    'estimator with a heatmap or SimCC head')


__all__ = ['ClassificationAdapter', 'PoseAdapter', 'TaskAdapter', 'capture_forward',
           'select_adapter']
