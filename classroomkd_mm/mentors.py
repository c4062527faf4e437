"""The classroom's mentors: their specs checked, then each built, loaded, checked against
the student, frozen, and given its own inputs.

Mentors live outside ``nn.Module``'s registry of the model that holds them (here and
in :class:`HoldsFrozenMentors` only). Registered, as MMPose's DWPose distiller
registers its teacher, they would reach ``parameters()`` and so every optimizer a
config builds; ``state_dict()`` and so every training checkpoint; DDP's broadcast of
parameters and buffers (the mentors' BatchNorm statistics, at every step); and the
deep copy an EMA hook makes of the model (a second copy of every mentor, averaged).
Held outside, copies share them, and ``.to()``, ``.cuda()``, ``.half()`` still reach
them.
"""
import copy
import inspect
import logging
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmengine.registry import MODELS
from torch import nn

from .adapters import MentorInputs, TaskAdapter, normalisations
from .checkpoint import load_mentor_weights
from .engine import read_config
from .fast_path import FastMentor

MENTOR_KEYS = {'name', 'model', 'config', 'checkpoint', 'input_size', 'trust_checkpoint'}


def parse_input_size(size, name: str):
    """``None``, an int, or an (H, W) pair of positive ints."""
    if size is None:
        return None
    pair = (size, size) if isinstance(size, int) else tuple(size) if isinstance(
        size, (list, tuple)) else ()
    if len(pair) != 2 or not all(isinstance(s, int) and s > 0 for s in pair):
        raise ValueError(f"mentor '{name}': input_size={size!r} does not parse; give an int "
                         'or an (H, W) pair of positive ints')
    return pair


def mentor_model_cfg(spec: dict) -> dict:
    """The mentor's model config: ``model``, or the ``model`` of the ``config`` file, with
    the file's top-level ``data_preprocessor`` when its model names none (as MMEngine's
    Runner does; MMPretrain's configs keep it there)."""
    if 'config' not in spec:
        return spec['model']
    try:
        cfg = read_config(spec['config'])
    except FileNotFoundError as error:
        raise FileNotFoundError(f"mentor '{spec['name']}': {error}") from None
    model = cfg.model
    if 'data_preprocessor' not in model and cfg.get('data_preprocessor') is not None:
        model = dict(model, data_preprocessor=cfg.data_preprocessor)
    return model


def validate_mentor_specs(mentors) -> List[dict]:
    """Check the ``mentors`` list and resolve each model config, before anything is built."""
    if not mentors:
        raise ValueError('`mentors` is empty or missing: a classroom needs at least one '
                         "mentor, e.g. mentors=[dict(name='teacher', model=..., checkpoint=...)]")
    specs = []
    for index, spec in enumerate(mentors):
        if not isinstance(spec, dict) or 'name' not in spec or (
                ('model' in spec) == ('config' in spec)):
            raise ValueError(f'mentors[{index}] must be a dict with a `name` and either a '
                             f'`model` or a `config`, got {spec!r}')
        unknown = set(spec) - MENTOR_KEYS
        if unknown:
            raise ValueError(f"mentor '{spec['name']}': unknown keys {sorted(unknown)}; "
                             f'allowed: {sorted(MENTOR_KEYS)}')
        if any(spec['name'] == other['name'] for other in specs):
            raise ValueError(f"mentor name '{spec['name']}' is used twice; names must be unique")
        parse_input_size(spec.get('input_size'), spec['name'])
        specs.append(dict(spec, model=mentor_model_cfg(spec)))
    return specs


def validate_fast_path(options: Optional[dict]) -> None:
    """``mentor_fast_path`` takes :class:`FastMentor`'s options (its ``name`` is the mentor's)."""
    allowed = set(inspect.signature(FastMentor).parameters) - {'mentor', 'name'}
    unknown = set(options or {}) - allowed
    if unknown:
        raise ValueError(f'mentor_fast_path: unknown keys {sorted(unknown)}; '
                         f'allowed: {sorted(allowed)}')


def build_mentor(spec: dict, student: nn.Module, student_cfg: dict, adapter: TaskAdapter,
                 fast_path: Optional[dict]) -> Tuple[nn.Module, MentorInputs]:
    """One mentor from its validated spec, frozen in eval mode, and its inputs."""
    name = spec['name']
    mentor = MODELS.build(spec['model'])
    meta = {}
    if spec.get('checkpoint'):
        meta = load_mentor_weights(mentor, spec['checkpoint'], name,
                                   trusted=spec.get('trust_checkpoint', False))
    else:
        print_log(f"mentor '{name}' has no checkpoint: it teaches with untrained weights",
                  logger='current', level=logging.WARNING)
    adapter.check_mentor(student, mentor, name, meta)
    size = adapter.mentor_input_size(student, mentor,
                                     parse_input_size(spec.get('input_size'), name))
    inputs = MentorInputs(*normalisations(name, student_cfg, student, spec['model'], mentor),
                          size, adapter.input_convention)
    mentor.requires_grad_(False).eval()
    if fast_path is not None:
        mentor = FastMentor(mentor, name=name, **fast_path)
    return mentor, inputs


def frozen_mentors(specs: Sequence[dict], student: nn.Module, student_cfg: dict,
                   adapter: TaskAdapter, fast_path: Optional[dict]
                   ) -> Tuple[nn.ModuleDict, nn.ModuleDict]:
    """The mentors by name, and each one's :class:`MentorInputs` by name. Built without
    touching torch's global random state: what the run draws next (the student's
    ``init_weights``, its augmentations) is the same whatever the mentors, so that the
    methods of one seed start from the same student and see the same batches."""
    mentors, inputs = nn.ModuleDict(), nn.ModuleDict()
    with torch.random.fork_rng(devices=[]):
        for spec in specs:
            mentors[spec['name']], inputs[spec['name']] = build_mentor(
                spec, student, student_cfg, adapter, fast_path)
    return mentors.eval(), inputs


class HoldsFrozenMentors:
    """Mixin for an ``nn.Module`` holding ``mentors`` and ``mentor_inputs`` outside its
    registry (the module doc says why)."""

    def hold_mentors(self, mentors: nn.ModuleDict, inputs: nn.ModuleDict) -> None:
        self.__dict__['mentors'] = mentors
        self.__dict__['mentor_inputs'] = inputs

    def __deepcopy__(self, memo):
        """Copies (EMA hooks make one) share the frozen mentors instead of copying them."""
        memo[id(self.mentors)] = self.mentors
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return clone

    def _apply(self, fn, *args, **kwargs):
        """``.to()``, ``.cuda()``, ``.half()``... reach the unregistered mentors too."""
        super()._apply(fn, *args, **kwargs)
        self.mentors._apply(fn, *args, **kwargs)
        self.mentor_inputs._apply(fn, *args, **kwargs)
        return self
