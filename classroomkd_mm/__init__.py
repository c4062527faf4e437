"""ClassroomKD multi-mentor knowledge distillation for MMPose and MMPretrain.

Importing this package (or ``custom_imports=dict(imports=['classroomkd_mm'])``)
registers everything in MMEngine's root ``MODELS`` registry, which configs
with ``default_scope='mmpose'`` and ``default_scope='mmpretrain'`` both reach
through their parent chain.
"""
from . import models  # noqa: F401  (registers the CIFAR model zoo)
from .core import ClassroomKDLoss, KnowledgeFilter, Mentoring
from .distiller import ClassroomKDDistiller
from .engine import CPUAmpOptimWrapper, ClassroomLogProcessor, install_safe_globals

install_safe_globals()

__version__ = '0.1.0'
__all__ = [
    'CPUAmpOptimWrapper', 'ClassroomKDDistiller', 'ClassroomKDLoss', 'ClassroomLogProcessor',
    'KnowledgeFilter', 'Mentoring'
]
