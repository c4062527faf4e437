"""ClassroomKD multi-mentor knowledge distillation for MMPose and MMPretrain.

Importing this package (or ``custom_imports=dict(imports=['classroomkd_mm'])``) registers
the project's modules in its own registries under the scope ``ckd`` (``classroomkd_mm/
registry.py``): configs name them ``type='ckd.CifarResNet'``, ``type='ckd.CPUAmpOptimWrapper'``
... from ``default_scope='mmpose'`` and ``default_scope='mmpretrain'`` alike. Only
``ClassroomKDDistiller`` is also in MMEngine's root ``MODELS``, under that bare name.
Importing changes no global state: checkpoints are made ``weights_only``-loadable by the
opt-in ``ckd.WeightsOnlyCheckpointHook`` (``engine/safe_globals.py``).
"""
from . import models  # noqa: F401  (registers the CIFAR model zoo)
from .core import ClassroomKDLoss, KnowledgeFilter, Mentoring
from .distiller import ClassroomKDDistiller
from .engine import CPUAmpOptimWrapper, ClassroomLogProcessor, WeightsOnlyCheckpointHook

__version__ = '0.1.0'
__all__ = [
    'CPUAmpOptimWrapper', 'ClassroomKDDistiller', 'ClassroomKDLoss', 'ClassroomLogProcessor',
    'KnowledgeFilter', 'Mentoring', 'WeightsOnlyCheckpointHook'
]
