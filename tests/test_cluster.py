"""Cluster paths a CPU can run: mentor weights fetched once per node under a process group,
file:// URLs, the offline file list, Slurm's command line, and the multi-process lr warning."""
import datetime
import os
import os.path as osp
import subprocess
import sys
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from runner_utils import REPO
from test_distributed import free_port

PYTHON = sys.executable


def fetch_in_process_group(rank, url, torch_home, out_dir, port):
    """One rank of a 2-process gloo group loading a mentor from ``url``; it records its
    own calls of the (real) download function and the weights it ends up with."""
    os.environ.update(TORCH_HOME=torch_home, LOCAL_RANK=str(rank), MASTER_ADDR='127.0.0.1',
                      MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2,
                            timeout=datetime.timedelta(seconds=60))
    real_download = torch.hub.download_url_to_file

    def counted_download(source, destination, *args, **kwargs):
        with open(osp.join(out_dir, f'fetched_by_rank{rank}'), 'a') as f:
            f.write(source + '\n')
        time.sleep(1.0)  # a slow fetch: a rank that did not wait for it would fetch too
        real_download(source, destination, *args, **kwargs)

    torch.hub.download_url_to_file = counted_download
    from classroomkd_mm.checkpoint import load_mentor_weights
    model = nn.Linear(8, 4)
    try:
        load_mentor_weights(model, url, 'teacher')
        torch.save(model.state_dict(), osp.join(out_dir, f'loaded_by_rank{rank}.pth'))
    except RuntimeError as error:
        with open(osp.join(out_dir, f'error_rank{rank}'), 'w') as f:
            f.write(str(error))
    finally:
        dist.destroy_process_group()


def run_two_ranks(url, torch_home, out_dir):
    context = mp.spawn(fetch_in_process_group, args=(url, torch_home, out_dir, free_port()),
                       nprocs=2, join=False)
    deadline = time.time() + 300
    while not context.join(timeout=5):
        if time.time() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail('the two ranks did not finish: a barrier was missed')


@pytest.fixture
def zoo_file(tmp_path):
    torch.manual_seed(0)
    weights = nn.Linear(8, 4).state_dict()
    path = tmp_path / 'zoo' / 'teacher.pth'
    path.parent.mkdir()
    torch.save(dict(state_dict=weights, meta={}), path)
    return path, weights


def test_two_ranks_fetch_a_mentor_url_once(tmp_path, zoo_file):
    path, weights = zoo_file
    home, out = tmp_path / 'torch_home', tmp_path / 'out'
    out.mkdir()
    run_two_ranks(path.as_uri(), str(home), str(out))
    assert not list(out.glob('error_rank*'))
    with open(out / 'fetched_by_rank0') as f:
        assert f.read().splitlines() == [path.as_uri()]
    assert not (out / 'fetched_by_rank1').exists()
    assert (home / 'hub' / 'checkpoints' / 'teacher.pth').is_file()
    for rank in (0, 1):
        loaded = torch.load(out / f'loaded_by_rank{rank}.pth', weights_only=True)
        assert all(torch.equal(loaded[key], weights[key]) for key in weights)


def test_a_failed_fetch_fails_every_rank_without_hanging(tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    run_two_ranks((tmp_path / 'nowhere' / 'teacher.pth').as_uri(), str(tmp_path / 'home'),
                  str(out))
    for rank in (0, 1):
        with open(out / f'error_rank{rank}') as f:
            message = f.read()
        assert 'could not fetch' in message and 'put it at' in message
    assert not list(out.glob('loaded_by_rank*'))


def test_file_url_is_cached_like_any_url(tmp_path, zoo_file, monkeypatch):
    from classroomkd_mm.checkpoint import load_mentor_weights
    path, weights = zoo_file
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'home'))
    model = nn.Linear(8, 4)
    load_mentor_weights(model, path.as_uri(), 'teacher')
    assert torch.equal(model.weight, weights['weight'])
    assert (tmp_path / 'home' / 'hub' / 'checkpoints' / 'teacher.pth').is_file()


def run_tool(*args, env=None):
    return subprocess.run([PYTHON, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, PYTHONPATH=REPO, **(env or {})))


def test_list_urls_names_every_file_of_the_coco_classroom(tmp_path):
    home = str(tmp_path / 'home')
    result = run_tool('tools/list_urls.py', 'configs/coco/rtmpose-t_classroom_210e.py',
                      env=dict(TORCH_HOME=home))
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    cache = osp.join(home, 'hub', 'checkpoints')
    zoo = 'https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/'
    expected = {
        "mentor 'rtmpose-l_aic-coco'": 'rtmpose-l_simcc-aic-coco_pt-aic-coco_420e-256x192-'
                                       'f016ffe0_20230126.pth',
        "mentor 'rtmpose-s'": 'rtmpose-s_simcc-coco_pt-aic-coco_420e-256x192-8edcf0d7_20230127.pth',
        "mentor 'rtmpose-m'": 'rtmpose-m_simcc-coco_pt-aic-coco_420e-256x192-d8dd5ca4_20230127.pth',
        "mentor 'rtmpose-l'": 'rtmpose-l_simcc-coco_pt-aic-coco_420e-256x192-1352a4d2_20230127.pth',
        # the student's own backbone init (CSPNeXt-t)
        'model.student.backbone.init_cfg':
            'cspnext-tiny_udp-aic-coco_210e-256x192-cbed682d_20230130.pth',
    }
    assert lines == [f'missing {what}: {zoo}{name} -> {osp.join(cache, name)}'
                     for what, name in expected.items()]


def test_list_urls_fetches_into_the_cache_training_reads(tmp_path, zoo_file):
    path, _ = zoo_file
    config = tmp_path / 'classroom.py'
    config.write_text(f"""
_base_ = ['{REPO}/configs/cifar100/classroom_resnet20_resnet110_kd.py']
model = dict(mentors=[dict(name='teacher', model=dict(type='CifarClassifier', arch='resnet110'),
                           checkpoint='{path.as_uri()}')])
""")
    home = tmp_path / 'home'
    result = run_tool('tools/list_urls.py', str(config), '--fetch', env=dict(TORCH_HOME=str(home)))
    assert result.returncode == 0, result.stderr[-2000:]
    cached = home / 'hub' / 'checkpoints' / 'teacher.pth'
    assert result.stdout.splitlines() == [f"present mentor 'teacher': {path.as_uri()} -> {cached}"]
    assert cached.read_bytes() == path.read_bytes()


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


def test_eight_processes_on_a_single_gpu_recipe_warn():
    from classroomkd_mm.engine import read_config
    from classroomkd_mm.engine import train as train_tool
    cfg = read_config(osp.join(REPO, 'configs/cifar100/classroom_resnet20_resnet110.py'))
    warning = train_tool.batch_size_warning(cfg, world_size=8, auto_scale_lr=False)
    assert 'global batch of 64' in warning and '8 processes x batch 64 make 512' in warning
    assert '--auto-scale-lr' in warning and 'batch_size=8' in warning and 'sync_bn' in warning
    assert train_tool.batch_size_warning(cfg, world_size=1, auto_scale_lr=False) is None
    assert train_tool.batch_size_warning(cfg, world_size=8, auto_scale_lr=True) is None
    cfg.train_dataloader.batch_size = 8  # 8 x 8 = the recipe's 64
    assert train_tool.batch_size_warning(cfg, world_size=8, auto_scale_lr=False) is None


def test_auto_scale_lr_needs_a_base_batch_size(tmp_path):
    from mmengine.config import Config

    from classroomkd_mm.engine import train as train_tool
    cfg = Config(dict(train_dataloader=dict(batch_size=4)))
    with pytest.raises(train_tool.UserError, match='auto_scale_lr.base_batch_size'):
        train_tool.configure_lr_scaling(cfg, 'none', auto_scale_lr=True)
    cfg.auto_scale_lr = None  # as the LSP configs set it: no scaling, no crash
    with pytest.raises(train_tool.UserError, match='auto_scale_lr.base_batch_size'):
        train_tool.configure_lr_scaling(cfg, 'none', auto_scale_lr=True)
    assert train_tool.batch_size_warning(cfg, world_size=8, auto_scale_lr=False) is None
    cfg.auto_scale_lr = dict(base_batch_size=64)
    train_tool.configure_lr_scaling(cfg, 'none', auto_scale_lr=True)
    assert cfg.auto_scale_lr.enable is True


def test_two_processes_warn_once_and_auto_scale_lr_scales(tmp_path, cifar10_tiny):
    """tools/dist_train.sh with 2 gloo processes, mentors fetched from file:// URLs."""
    from test_tools import write_tiny_classroom
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    home = tmp_path / 'home'
    env = dict(os.environ, PYTHON=PYTHON, PORT=str(free_port()), OMP_NUM_THREADS='1',
               TORCH_HOME=str(home))
    mentors = ', '.join(
        f"dict(name='{arch}', model=dict(type='CifarClassifier', arch='{arch}', num_classes=10),"
        f" checkpoint='{(tmp_path / (arch + '.pth')).as_uri()}')"
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
