"""The mentor fast path: frozen mentors in eval mode are constants, so make them cheap,
and keep what is made only where it gives the eager mentor's outputs (:class:`FastMentor`)."""
from .mentor import TOLERANCES, FastMentor

__all__ = ['FastMentor', 'TOLERANCES']
