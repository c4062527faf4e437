"""scripts/setup_env.sh names the failing step and why."""
import os
import shutil
import subprocess
import sys

from runner_utils import REPO


def test_missing_compiler_stops_setup_at_the_named_step(tmp_path):
    bin_dir = tmp_path / 'bin'  # a PATH with python3 and the basics, but no g++
    bin_dir.mkdir()
    python = os.path.realpath(sys.executable)
    for name in ('python3', 'python3.11'):
        os.symlink(python, bin_dir / name)
    for tool in ('sed', 'sha256sum', 'cut', 'cat', 'mkdir', 'tail', 'dirname'):
        os.symlink(shutil.which(tool), bin_dir / tool)
    env = dict(os.environ, PATH=str(bin_dir), CLASSROOMKD_VENV=str(tmp_path / 'venv'))
    result = subprocess.run(['/bin/bash', 'scripts/setup_env.sh'], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert '[setup] FAILED at step 1: no C++ compiler (g++)' in result.stderr
