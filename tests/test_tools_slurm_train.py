"""tools/slurm_train.sh builds OpenMMLab's srun command line."""
import os
import subprocess

from runner_utils import REPO


def test_slurm_train_builds_the_openmmlab_srun_line(tmp_path):
    """No Slurm here: an ``srun`` on PATH records the command line it is given."""
    fake = tmp_path / 'bin' / 'srun'
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done > "$SRUN_LOG"\n')
    fake.chmod(0o755)
    log = tmp_path / 'srun.log'
    env = dict(os.environ, PATH=f'{fake.parent}:{os.environ["PATH"]}', SRUN_LOG=str(log),
               PYTHON='python', GPUS='16', SRUN_ARGS='--qos=high --time=1-0')
    result = subprocess.run(
        ['bash', 'tools/slurm_train.sh', 'gpu', 'kd', 'configs/coco/rtmpose-t_classroom_210e.py',
         'work_dirs/x', '--amp'], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        '-p', 'gpu', '--job-name=kd', '--gres=gpu:8', '--ntasks=16', '--ntasks-per-node=8',
        '--cpus-per-task=5', '--kill-on-bad-exit=1', '--qos=high', '--time=1-0', 'python', '-u',
        f'{REPO}/tools/train.py', 'configs/coco/rtmpose-t_classroom_210e.py',
        '--work-dir', 'work_dirs/x', '--launcher', 'slurm', '--amp']
    # without WORK_DIR, the next argument is a train.py option
    subprocess.run(['bash', 'tools/slurm_train.sh', 'gpu', 'kd', 'c.py', '--resume'], cwd=REPO,
                   env=dict(env, GPUS='2'), check=True)
    args = log.read_text().splitlines()
    assert args[args.index('-u') + 1:] == [f'{REPO}/tools/train.py', 'c.py', '--launcher',
                                           'slurm', '--resume']
    assert '--gres=gpu:2' in args and '--ntasks-per-node=2' in args
