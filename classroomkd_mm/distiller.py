"""``ClassroomKDDistiller``: a student learning from a frozen classroom of mentors.

It routes: the batch to the mentors (:mod:`.mentors`) and the student, their outputs
through the task adapter (:mod:`.adapters`), and those to the classroom loss, which
owns Eq. 10 (:class:`~.core.ClassroomKDLoss`).
"""
from functools import partial
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModel
from mmengine.registry import MODELS
from torch import Tensor

from .adapters import select_adapter
from .core import ClassroomKDLoss
from .mentor_cache import mentor_key, mentor_output
from .mentors import (HoldsFrozenMentors, frozen_mentors, validate_fast_path,
                      validate_mentor_specs)


@MODELS.register_module()
class ClassroomKDDistiller(HoldsFrozenMentors, BaseModel):
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
            ``parameters()`` and ``state_dict()`` (:mod:`.mentors` says why): no optimizer
            sees them and training checkpoints do not carry them. A mentor may share the
            student's architecture (a stronger checkpoint, born-again networks).
        kf, mentoring, distill_weight, mentor_weights, official_code_parity, rank_weights:
            see :class:`ClassroomKDLoss`.
        mentor_fast_path: ``None`` (off), or ``dict(fold_bn=True, channels_last=True,
            dtype=None, compile=False, cuda_graph=False)``: see :class:`FastMentor`.
            ``dtype`` may be ``'bfloat16'`` or ``'float16'``. Each mentor checks itself
            against its eager forward on the first batch and otherwise stays eager.
        adapter: ``None`` picks the task adapter from the student's head; or name one
            with its options, e.g. ``dict(type='ckd.SimCCAdapter', simcc_axes='arithmetic')``
            (``type`` left out: the picked adapter's options).
        build_mentors: False builds the student alone, to evaluate it or run
            inference (``tools/test.py`` sets it); loss mode then refuses to run.
        data_preprocessor: used for the student when its own config has none
            (MMEngine's Runner passes a config's top-level ``data_preprocessor``).
    """

    def __init__(self, student: dict, mentors: Sequence[dict], kf: Optional[dict] = None,
                 mentoring: Optional[dict] = None, distill_weight: float = 1.0,
                 mentor_weights: Optional[str] = None, official_code_parity: bool = False,
                 mentor_fast_path: Optional[dict] = None, adapter: Optional[dict] = None,
                 build_mentors: bool = True, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None, rank_weights: Optional[bool] = None):
        mentor_specs = validate_mentor_specs(mentors) if build_mentors else []
        validate_fast_path(mentor_fast_path)
        if data_preprocessor is not None:  # a top-level config `data_preprocessor`
            student = dict(student)
            student.setdefault('data_preprocessor', data_preprocessor)
        classroom = ClassroomKDLoss(kf, mentoring, distill_weight, mentor_weights,
                                    official_code_parity, rank_weights)
        student_model = MODELS.build(student)
        super().__init__(data_preprocessor=student_model.data_preprocessor, init_cfg=init_cfg)
        self.student = student_model
        self.classroom = classroom
        self.adapter = select_adapter(student_model, adapter)
        self.built_mentors = build_mentors
        self.hold_mentors(*frozen_mentors(mentor_specs, student_model, student, self.adapter,
                                          mentor_fast_path))
        self.mentor_keys = {spec['name']: mentor_key(spec, mentor_fast_path, self.adapter)
                            for spec in mentor_specs}

    def init_weights(self) -> None:
        """Initialise the student only: mentors keep their loaded weights."""
        self.student.init_weights()

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.student(inputs, data_samples, mode)

    @torch.no_grad()
    def mentor_outputs(self, inputs: Tensor, data_samples) -> List:
        """Each mentor's head output for the batch, in the mentors' order; in a sweep, from
        the outputs shared by its runs (:mod:`.mentor_cache`)."""
        outputs = []
        for name, mentor in self.mentors.items():
            batch = self.mentor_inputs[name](inputs)
            outputs.append(mentor_output(self.mentor_keys[name], batch, partial(
                self.adapter.mentor_output, mentor, batch, data_samples)))
        return outputs

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
        mentor_outputs = self.mentor_outputs(inputs, data_samples)
        task, student_output = adapter.student_loss(self.student, inputs, data_samples)
        mentor_outputs = [adapter.align(output, student_output) for output in mentor_outputs]
        confidence, valid = adapter.confidences([student_output] + mentor_outputs, data_samples)
        return self.classroom(
            confidence, valid, adapter.logit_groups(student_output),
            {name: adapter.logit_groups(output)
             for name, output in zip(self.mentors, mentor_outputs, strict=True)},
            adapter.row_weights(data_samples, inputs.device), task)

    def parse_losses(self, losses: Dict[str, Tensor]):
        """MMEngine's sum of the ``loss`` keys, logged as ``loss``. A student key named
        ``loss`` itself (MMPretrain's heads) is logged as ``loss_task``: MMEngine would
        otherwise log it in place of the total."""
        return super().parse_losses({('loss_task' if key == 'loss' else key): value
                                     for key, value in losses.items()})
