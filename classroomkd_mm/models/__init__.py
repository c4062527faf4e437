"""Architectures the paper's classrooms need that MMPretrain lacks."""
from . import cifar  # noqa: F401
