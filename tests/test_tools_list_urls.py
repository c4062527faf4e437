"""tools/list_urls.py: the offline file list of a config, and --fetch into the cache that
training reads."""
import os
import os.path as osp

import torch
from torch import nn

from runner_utils import REPO, run_python


def run_list_urls(*args, env):
    return run_python('tools/list_urls.py', *args, timeout=600,
                      env=dict(os.environ, PYTHONPATH=REPO, **env))


def test_list_urls_names_every_file_of_the_coco_classroom(tmp_path):
    home = str(tmp_path / 'home')
    result = run_list_urls('configs/coco/rtmpose-t_classroom_210e.py',
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


def test_list_urls_fetches_into_the_cache_training_reads(tmp_path):
    path = tmp_path / 'zoo' / 'teacher.pth'
    path.parent.mkdir()
    torch.save(dict(state_dict=nn.Linear(8, 4).state_dict(), meta={}), path)
    config = tmp_path / 'classroom.py'
    config.write_text(f"""
_base_ = ['{REPO}/configs/cifar100/classroom_resnet20_resnet110_kd.py']
model = dict(mentors=[dict(name='teacher',
                           model=dict(type='ckd.build_cifar_classifier', arch='resnet110'),
                           checkpoint='{path.as_uri()}')])
""")
    home = tmp_path / 'home'
    result = run_list_urls(str(config), '--fetch', env=dict(TORCH_HOME=str(home)))
    assert result.returncode == 0, result.stderr[-2000:]
    cached = home / 'hub' / 'checkpoints' / 'teacher.pth'
    assert result.stdout.splitlines() == [f"present mentor 'teacher': {path.as_uri()} -> {cached}"]
    assert cached.read_bytes() == path.read_bytes()
