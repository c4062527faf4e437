"""Train a model with MMEngine's Runner (MMPose / MMPretrain style).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                          [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

The command line and the config it builds live in ``classroomkd_mm/engine/train.py``.
"""
from mmengine.runner import Runner

import classroomkd_mm  # noqa: F401  registers the plugin and safe checkpoint loading
from classroomkd_mm.engine.launch import run_tool
from classroomkd_mm.engine.train import train_config, train_parser


def main():
    Runner.from_cfg(train_config(train_parser().parse_args())).train()


if __name__ == '__main__':
    run_tool(main)
