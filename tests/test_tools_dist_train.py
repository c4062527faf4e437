"""tools/dist_train.sh with two CPU processes (gloo): every process ranks and filters the same
way, mentors are fetched once, and the multi-process learning-rate warning is given once."""
import glob
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from runner_utils import REPO, free_port, write_tiny_classroom

pytestmark = pytest.mark.multiprocess

PYTHON = sys.executable
TELEMETRY = re.compile(r'((?:rank|temp|active)/\S+): (\S+)')
LOSS = re.compile(r'  loss: (\S+)')


def test_two_processes_rank_identically(tmp_path, cifar10_tiny):
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    work_dir = str(tmp_path / 'work')
    env = dict(os.environ, PYTHON=PYTHON, PORT=str(free_port()), OMP_NUM_THREADS='1')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir, '--cfg-options',
         'log_level=DEBUG', 'train_cfg.max_epochs=1', 'train_dataloader.batch_size=25',
         "log_processor.type=LogProcessor"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*rank*.log')))
    assert len(logs) == 2, logs
    per_rank = []
    for path in logs:
        with open(path) as f:
            steps = [line for line in f if 'Epoch(train)' in line and 'rank/student' in line]
        per_rank.append(steps)
    assert len(per_rank[0]) == len(per_rank[1]) == 4  # 200 images / (2 × 25)
    for line0, line1 in zip(*per_rank):
        assert TELEMETRY.findall(line0) == TELEMETRY.findall(line1)
        assert len(TELEMETRY.findall(line0)) == 1 + 3 * 3
    # each process trained on its own shard: their task losses differ
    assert [LOSS.search(l).group(1) for l in per_rank[0]] != \
           [LOSS.search(l).group(1) for l in per_rank[1]]


def test_two_processes_warn_once_and_auto_scale_lr_scales(tmp_path, cifar10_tiny):
    """tools/dist_train.sh with 2 gloo processes, mentors fetched from file:// URLs."""
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    home = tmp_path / 'home'
    env = dict(os.environ, PYTHON=PYTHON, PORT=str(free_port()), OMP_NUM_THREADS='1',
               TORCH_HOME=str(home))
    mentors = ', '.join(
        f"dict(name='{arch}', model=dict(type='ckd.build_cifar_classifier', arch='{arch}', "
        f"num_classes=10), checkpoint='{(tmp_path / (arch + '.pth')).as_uri()}')"
        for arch in ('resnet20', 'resnet14', 'mobilenetv2'))
    with open(config, 'a') as f:
        f.write(f'model = dict(mentors=[{mentors}])\n')
    common = ['--cfg-options', 'train_cfg.max_epochs=1', 'auto_scale_lr.base_batch_size=50',
              'train_dataloader.batch_size=50']
    warned = subprocess.run(['bash', 'tools/dist_train.sh', config, '2', '--work-dir',
                             str(tmp_path / 'warned'), *common],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert warned.returncode == 0, warned.stderr[-3000:]
    assert (warned.stdout + warned.stderr).count('2 processes x batch 50 make 100') == 1
    assert sorted(p.name for p in (home / 'hub' / 'checkpoints').iterdir()) == [
        'mobilenetv2.pth', 'resnet14.pth', 'resnet20.pth']
    scaled = subprocess.run(['bash', 'tools/dist_train.sh', config, '2', '--work-dir',
                             str(tmp_path / 'scaled'), '--auto-scale-lr', *common],
                            cwd=REPO, env=dict(env, PORT=str(free_port())),
                            capture_output=True, text=True, timeout=600)
    assert scaled.returncode == 0, scaled.stderr[-3000:]
    log = scaled.stdout + scaled.stderr
    assert 'make 100' not in log
    assert 'LR is set based on batch size of 50 and the current batch size is 100' in log
