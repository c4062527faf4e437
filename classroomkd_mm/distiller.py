"""``ClassroomKDDistiller``: a student learning from a frozen classroom of mentors."""
import copy
import inspect
import logging
from typing import Dict, List, Optional, Sequence

import torch
import torch.distributed as dist
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.registry import MODELS
from torch import Tensor, nn

from .adapters import MentorInputs, normalisations, select_adapter
from .checkpoint import load_mentor_weights
from .core import ClassroomKDLoss, Step, sample_mean
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


def all_reduce_sum(values: Tensor) -> Tensor:
    values = values.clone()
    dist.all_reduce(values)
    return values


@MODELS.register_module()
class ClassroomKDDistiller(BaseModel):
    """ClassroomKD (Sarode et al.): Knowledge Filtering ranks the classroom on
    the ground truth, and the Mentoring module sets each active mentor's
    temperature; the loss is Eq. 10.

    Args:
        student: the student's model config (an MMPretrain classifier or an
            MMPose top-down estimator). Its data preprocessor is the distiller's.
        mentors: ``dict(name, model, checkpoint=None, input_size=None,
            trust_checkpoint=False)`` per mentor, or ``config='mmpose::...'``
            in place of ``model`` to take a stock config's model; ``checkpoint``
            is a local path or URL. Mentors are frozen, stay in eval mode, and live outside
            ``parameters()`` and ``state_dict()``: no optimizer sees them and
            training checkpoints do not carry them. A mentor may share the
            student's architecture (a stronger checkpoint, born-again networks).
        kf, mentoring, distill_weight, rank_weights, official_code_parity:
            see :class:`ClassroomKDLoss`.
        mentor_fast_path: ``None`` (off), or ``dict(fold_bn=True, channels_last=True,
            dtype=None, compile=False, cuda_graph=False)``: see :class:`FastMentor`.
            ``dtype`` may be ``'bfloat16'`` or ``'float16'``. Each mentor checks itself
            against its eager forward on the first batch and otherwise stays eager.
        adapter: ``None`` picks the task adapter from the student; or name one,
            e.g. ``dict(type='PoseAdapter', simcc_axes='arithmetic')``.
        build_mentors: False builds the student alone, to evaluate it or run
            inference (``tools/test.py`` sets it); loss mode then refuses to run.
        data_preprocessor: used for the student when its own config has none
            (MMEngine's Runner passes a config's top-level ``data_preprocessor``).
    """

    def __init__(self, student: dict, mentors: Sequence[dict], kf: Optional[dict] = None,
                 mentoring: Optional[dict] = None, distill_weight: float = 1.0,
                 rank_weights: bool = True, official_code_parity: bool = False,
                 mentor_fast_path: Optional[dict] = None, adapter: Optional[dict] = None,
                 build_mentors: bool = True, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        mentor_specs = validate_mentor_specs(mentors) if build_mentors else []
        validate_fast_path(mentor_fast_path)
        if data_preprocessor is not None:  # a top-level config `data_preprocessor`
            student = dict(student)
            student.setdefault('data_preprocessor', data_preprocessor)
        classroom = ClassroomKDLoss(kf, mentoring, distill_weight, rank_weights,
                                    official_code_parity)
        student_model = MODELS.build(student)
        super().__init__(data_preprocessor=student_model.data_preprocessor, init_cfg=init_cfg)
        self.student = student_model
        self.classroom = classroom
        self.adapter = select_adapter(student_model, adapter)
        self.built_mentors = build_mentors
        self.mentor_input_sizes: Dict[str, Optional[tuple]] = {}
        self.mentor_fast_path = mentor_fast_path
        inputs = {}
        frozen = nn.ModuleDict()
        for spec in mentor_specs:
            frozen[spec['name']], inputs[spec['name']] = self._build_mentor(spec)
        # Outside nn.Module's registry on purpose: see the class docstring.
        self.__dict__['mentors'] = frozen.eval()
        self.__dict__['mentor_inputs'] = nn.ModuleDict(inputs)

    def _build_mentor(self, spec: dict):
        name = spec['name']
        mentor = MODELS.build(spec['model'])
        meta = {}
        if spec.get('checkpoint'):
            meta = load_mentor_weights(mentor, spec['checkpoint'], name,
                                       trusted=spec.get('trust_checkpoint', False))
        else:
            print_log(f"mentor '{name}' has no checkpoint: it teaches with untrained weights",
                      logger='current', level=logging.WARNING)
        self.adapter.check_mentor(self.student, mentor, name, meta)
        size = self.adapter.mentor_input_size(
            self.student, mentor, parse_input_size(spec.get('input_size'), name))
        self.mentor_input_sizes[name] = size
        inputs = MentorInputs(*normalisations(name, 'data_preprocessor' in spec['model'],
                                              mentor.data_preprocessor,
                                              self.student.data_preprocessor),
                              size, self.adapter.input_convention)
        mentor.requires_grad_(False).eval()
        if self.mentor_fast_path is not None:
            mentor = FastMentor(mentor, name=name, **self.mentor_fast_path)
        return mentor, inputs

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

    def init_weights(self) -> None:
        """Initialise the student only: mentors keep their loaded weights."""
        self.student.init_weights()

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.student(inputs, data_samples, mode)

    @torch.no_grad()
    def mentor_outputs(self, inputs: Tensor, data_samples) -> List:
        return [self.adapter.mentor_output(mentor, self.mentor_inputs[name](inputs), data_samples)
                for name, mentor in self.mentors.items()]

    def loss(self, inputs: Tensor, data_samples) -> Dict[str, Tensor]:
        """The student's own losses weighted by ``r^s``, ``loss_distill``, and telemetry."""
        if not self.built_mentors:
            raise RuntimeError('this ClassroomKDDistiller was built with build_mentors=False, '
                               'to evaluate the student alone; training (loss mode) needs its '
                               'mentors: build it with build_mentors=True')
        adapter = self.adapter
        adapter.check_ground_truth(data_samples)
        # Mentors first: their activations are gone before the student's, which autograd
        # keeps for backward, are allocated (measured: ~12 % faster mentor forwards on CPU).
        raw_mentor_outputs = self.mentor_outputs(inputs, data_samples)
        student_losses, student_output, loss_calls = adapter.student_loss(
            self.student, inputs, data_samples)
        mentor_outputs = [adapter.align(output, student_output) for output in raw_mentor_outputs]
        outputs = [student_output] + mentor_outputs
        finite = torch.stack([adapter.is_finite(output) for output in outputs])
        confidence, valid = adapter.confidences(outputs, data_samples)
        student_groups = adapter.logit_groups(student_output)
        mentor_groups = self.stacked_mentor_groups(mentor_outputs, finite[1:])
        step = self.classroom(
            torch.nan_to_num(confidence), valid, torch.cat([finite.new_ones(1), finite[1:]]),
            student_groups, mentor_groups, adapter.row_weights(data_samples, inputs.device),
            self._sum_reduce())
        losses = self.weigh_task_losses(student_losses, loss_calls, step, valid)
        losses['loss_distill'] = step.loss_distill
        losses.update(self.telemetry(step, finite, valid))
        return losses

    def parse_losses(self, losses: Dict[str, Tensor]):
        """MMEngine's sum of the ``loss`` keys, logged as ``loss``. A student key named
        ``loss`` itself (MMPretrain's heads) is logged as ``loss_task``: MMEngine would
        otherwise log it in place of the total."""
        return super().parse_losses({('loss_task' if key == 'loss' else key): value
                                     for key, value in losses.items()})

    def weigh_task_losses(self, losses: Dict[str, Tensor], loss_calls, step: Step,
                          valid: Tensor) -> Dict[str, Tensor]:
        """Eq. 10's ``r^s · L_task``: per sample in sample mode; in batch mode every
        ``loss`` key times the batch's ``r^s`` (one value, broadcast over the samples)."""
        if self.classroom.kf.granularity == 'sample':
            return self.adapter.weigh_per_sample(self.student, losses, loss_calls,
                                                 step.task_weight, valid)
        weight = step.task_weight[0]
        return {key: value * weight if 'loss' in key else value
                for key, value in losses.items()}

    def stacked_mentor_groups(self, outputs: List, finite: Tensor) -> List[Tensor]:
        """Each logit group stacked over mentors, (λ, N, R, D); a non-finite mentor's is zeroed
        so that nothing non-finite reaches the student's gradients."""
        per_mentor = [self.adapter.logit_groups(output) for output in outputs]
        return [torch.stack([torch.where(ok, group, torch.zeros_like(group))
                             for ok, group in zip(finite, groups)])
                for groups in zip(*per_mentor)]

    def _sum_reduce(self):
        if (self.classroom.kf.granularity == 'batch' and dist.is_available()
                and dist.is_initialized() and dist.get_world_size() > 1):
            return all_reduce_sum
        return None

    def telemetry(self, step: Step, finite: Tensor, valid: Tensor) -> Dict[str, Tensor]:
        """Log-only values (no ``loss`` in their names, so MMEngine does not sum them):
        means over the valid samples, in float32 outside autocast."""
        with torch.autocast(valid.device.type, enabled=False):
            ranks, active, temperature = (sample_mean(values.float(), valid) for values in (
                step.ranking.ranks, step.ranking.active, step.temperature))
            logs = {'rank/student': ranks[0], 'nonfinite/student': (~finite[0]).float(),
                    'valid/fraction': valid.float().mean()}
            for index, name in enumerate(self.mentors):
                logs[f'rank/{name}'] = ranks[index + 1]
                logs[f'active/{name}'] = active[index]
                logs[f'temp/{name}'] = temperature[index]
            logs['nonfinite/mentors'] = (~finite[1:]).float().sum()
        return logs
