"""Evaluate a checkpoint with MMEngine's Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--cfg-options k=v ...]
                         [--launcher none|pytorch]

A ClassroomKD config is evaluated on its student alone: the mentors are not built, so their
checkpoints are neither downloaded nor read. The command line and the config it builds live
in ``classroomkd_mm/engine/evaluate.py``.
"""
from mmengine.runner import Runner

import classroomkd_mm  # noqa: F401  registers the plugin and safe checkpoint loading
from classroomkd_mm.engine.evaluate import evaluation_config, evaluation_parser
from classroomkd_mm.engine.launch import run_tool


def main():
    Runner.from_cfg(evaluation_config(evaluation_parser().parse_args())).test()


if __name__ == '__main__':
    run_tool(main)
