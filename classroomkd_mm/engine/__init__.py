"""MMEngine integration: config loading, launchers, CPU AMP, safe checkpoint loading, logs."""
from .config_files import read_config
from .cpu_amp import CPUAmpOptimWrapper
from .log_processor import ClassroomLogProcessor
from .safe_globals import install_safe_globals

__all__ = ['CPUAmpOptimWrapper', 'ClassroomLogProcessor', 'install_safe_globals', 'read_config']
