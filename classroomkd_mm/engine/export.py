"""Checkpoints written for use outside training: a classroom's student, and float16 weights.

Both write MMEngine's model-zoo layout, ``{'state_dict': ..., 'meta': ...}``, which the stock
MMPose / MMPretrain configs, ``tools/test.py`` and the classrooms' mentor loading read as is.
"""
import os.path as osp

import torch

from ..compat import load_checkpoint_file
from .launch import UserError

STUDENT_PREFIX = 'student.'
KEPT_META = ('dataset_meta', 'epoch', 'iter', 'mmengine_version', 'seed')


def export_student(source: str, target: str) -> int:
    """Save the student's weights of the ClassroomKD training checkpoint ``source`` to
    ``target`` under the student's own keys; return how many tensors."""
    if not osp.isfile(source):
        raise UserError(f'checkpoint {source!r} does not exist')
    checkpoint = load_checkpoint_file(source)  # refuses a file that pickles code
    state = checkpoint.get('state_dict', checkpoint)
    student = {key[len(STUDENT_PREFIX):]: value for key, value in state.items()
               if key.startswith(STUDENT_PREFIX)}
    if not student:
        raise UserError(f'{source!r} holds no "{STUDENT_PREFIX}*" weights: '
                        'not a ClassroomKD checkpoint')
    meta = {key: value for key, value in checkpoint.get('meta', {}).items()
            if key in KEPT_META}
    torch.save(dict(state_dict=student, meta=meta), target)
    return len(student)


def export_float16(source: str, target: str, dataset_meta: dict) -> None:
    """The weights of the training checkpoint ``source`` in float16, with ``dataset_meta``
    (a mentor's keypoint names, which a classroom checks).

    A tensor with values beyond float16's range (BatchNorm running variances reach 1e7 in
    LiteHRNet-30's fuse layers) stays in float32; integer tensors stay as they are.
    """
    state = load_checkpoint_file(source)['state_dict']
    state = {k: v.half() if v.is_floating_point() and v.half().isfinite().all() else v
             for k, v in state.items()}
    torch.save(dict(state_dict=state, meta=dict(dataset_meta=dataset_meta)), target)
