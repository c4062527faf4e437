"""Two CPU processes through tools/dist_train.sh (gloo): every process filters the same way."""
import glob
import os
import os.path as osp
import re
import socket
import subprocess
import sys

from runner_utils import REPO
from test_tools import write_tiny_classroom

TELEMETRY = re.compile(r'((?:rank|temp|active)/\S+): (\S+)')
LOSS = re.compile(r'  loss: (\S+)')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_rank_identically(tmp_path, cifar10_tiny):
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    work_dir = str(tmp_path / 'work')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
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
