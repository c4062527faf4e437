"""Write the student of a ClassroomKD training checkpoint as a plain model checkpoint.

    python tools/export_student.py work_dirs/run/epoch_240.pth student.pth

The output is ``{'state_dict': ..., 'meta': ...}`` with the student's own keys, so
the student's stock MMPose / MMPretrain config, ``tools/test.py`` and the
inference APIs (``mmpose.apis.init_model``, ``mmpretrain.apis``) load it as is.
"""
import argparse
import os.path as osp

import torch

from classroomkd_mm.compat import load_checkpoint_file
from classroomkd_mm.engine.launch import UserError, run_tool

PREFIX = 'student.'


def export_student(source: str, target: str) -> int:
    """Save the student's weights of ``source`` to ``target``; return how many tensors."""
    if not osp.isfile(source):
        raise UserError(f'checkpoint {source!r} does not exist')
    checkpoint = load_checkpoint_file(source)  # refuses a file that pickles code
    state = checkpoint.get('state_dict', checkpoint)
    student = {key[len(PREFIX):]: value for key, value in state.items()
               if key.startswith(PREFIX)}
    if not student:
        raise UserError(f'{source!r} holds no "{PREFIX}*" weights: not a ClassroomKD checkpoint')
    meta = {key: value for key, value in checkpoint.get('meta', {}).items()
            if key in ('dataset_meta', 'epoch', 'iter', 'mmengine_version', 'seed')}
    torch.save(dict(state_dict=student, meta=meta), target)
    return len(student)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='a ClassroomKD training checkpoint')
    parser.add_argument('output', help='where to write the student checkpoint')
    args = parser.parse_args()
    count = export_student(args.checkpoint, args.output)
    print(f'wrote {count} student tensors to {args.output}')


if __name__ == '__main__':
    run_tool(main)
