"""The distiller's import of :class:`~classroomkd_mm.fast_path.FastMentor`."""
from .fast_path import FastMentor  # noqa: F401
