"""Write the student of a ClassroomKD training checkpoint as a plain model checkpoint.

    python tools/export_student.py work_dirs/run/epoch_240.pth student.pth

The output is ``{'state_dict': ..., 'meta': ...}`` with the student's own keys, so
the student's stock MMPose / MMPretrain config, ``tools/test.py`` and the
inference APIs (``mmpose.apis.init_model``, ``mmpretrain.apis``) load it as is
(``classroomkd_mm/engine/export.py``).
"""
import argparse

from classroomkd_mm.engine.export import export_student
from classroomkd_mm.engine.launch import run_tool


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='a ClassroomKD training checkpoint')
    parser.add_argument('output', help='where to write the student checkpoint')
    args = parser.parse_args()
    count = export_student(args.checkpoint, args.output)
    print(f'wrote {count} student tensors to {args.output}')


if __name__ == '__main__':
    run_tool(main)
