"""MMEngine integration: config loading, launchers, CPU AMP, weights-only checkpoints, logs."""
from .config_files import read_config
from .cpu_amp import CPUAmpOptimWrapper
from .log_processor import ClassroomLogProcessor
from .safe_globals import WeightsOnlyCheckpointHook, weights_only_checkpoints

__all__ = ['CPUAmpOptimWrapper', 'ClassroomLogProcessor', 'WeightsOnlyCheckpointHook',
           'read_config', 'weights_only_checkpoints']
