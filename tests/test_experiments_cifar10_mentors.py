"""The shipped CIFAR-10 mentors, and the mentor recipe (configs/cifar10/mentor.py) trained
through the Runner by tools/train_cifar10_mentor.py."""
import glob
import hashlib
import os
import os.path as osp
import re

import pytest
import torch

from runner_utils import DATA, prepare_cifar10, run_python

MENTORS = osp.join(DATA, 'cifar10_mentors')


@pytest.fixture(scope='session')
def cifar10_test_set():
    """All 10,000 CIFAR-10 test JPEGs, unpacked once per machine."""
    return prepare_cifar10(osp.join(DATA, 'cifar10_testset'), 0, 1000)


def test_shipped_mentors_match_their_checksums():
    with open(osp.join(MENTORS, 'SHA256SUMS')) as f:
        listed = dict(reversed(line.split()) for line in f if line.strip())
    assert sorted(listed) == sorted(osp.basename(p) for p in glob.glob(f'{MENTORS}/*.pth'))
    for name, digest in listed.items():
        with open(osp.join(MENTORS, name), 'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, name


def test_every_cifar10_config_flips_the_jpegs_to_rgb():
    from mmengine.config import Config
    from runner_utils import REPO
    for path in glob.glob(osp.join(REPO, 'configs', 'cifar10', '*.py')):
        cfg = Config.fromfile(path)
        assert cfg.train_dataloader.dataset.pipeline[0].type in (
            'LoadImageFromFile', 'PackInputs'), path  # BGR, from the JPEGs or in memory
        assert cfg.data_preprocessor.to_rgb is True, path


def tools_test_top1(test_set, tmp_path, *options):
    result = run_python('tools/test.py', 'configs/cifar10/standalone.py',
                        osp.join(MENTORS, 'resnet14.pth'), '--work-dir', str(tmp_path),
                        '--cfg-options', 'model.arch=resnet14',
                        f'test_dataloader.dataset.data_root={test_set}', *options)
    assert result.returncode == 0, result.stderr[-3000:]
    return float(re.findall(r'accuracy/top1: ([\d.]+)', result.stdout + result.stderr)[-1])


def test_shipped_mentor_reaches_its_accuracy_through_tools_test(cifar10_test_set, tmp_path):
    """ResNet-14 on all 10,000 test images: 86.04 % in float32 on a CPU (its README).
    This catches channel order, normalisation and checkpoint loading at once; the same
    model fed BGR (MMPretrain's CIFAR default, to_rgb=False) falls to 74 % and fails it."""
    assert abs(tools_test_top1(cifar10_test_set, tmp_path / 'rgb') - 86.04) < 1.0
    bgr = tools_test_top1(cifar10_test_set, tmp_path / 'bgr', 'data_preprocessor.to_rgb=False')
    assert bgr < 86.04 - 1.0


def test_mentor_training_script_writes_a_loadable_mentor(tmp_path, cifar10_tiny,
                                                         pretrain_scope):
    out = str(tmp_path / 'mentor.pth')
    result = run_python('tools/train_cifar10_mentor.py', 'resnet8', out, '--epochs', '2',
                        '--batch-size', '32', '--train-per-class', '8', '--test-per-class',
                        '10', '--wrong-labels', '0.25', '--data', cifar10_tiny,
                        env=dict(os.environ, CUDA_VISIBLE_DEVICES=''))
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r'resnet8: top-1 [\d.]+ % on 100 test images \(cpu', result.stdout)
    # trained through the Runner from configs/cifar10/mentor.py, with the recipe's schedule
    [config] = glob.glob(f'{out}.work/*/vis_data/config.py')
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    assert cfg.param_scheduler.type == 'OneCycleLR' and cfg.param_scheduler.total_steps == 2
    assert cfg.optim_wrapper.type == 'ckd.CPUAmpOptimWrapper'  # bfloat16 autocast
    assert cfg.train_dataloader.dataset.wrong_label_fraction == 0.25
    state = torch.load(out, weights_only=True)
    assert list(state) == ['state_dict']
    from mmengine.registry import MODELS
    torch.manual_seed(0)
    fresh = MODELS.build(dict(type='ckd.build_cifar_classifier', arch='resnet8', num_classes=10))
    assert state['state_dict'].keys() == fresh.state_dict().keys()
    assert all(v.dtype in (torch.float32, torch.int64) and v.device.type == 'cpu'
               for v in state['state_dict'].values())
    # It trained, and it teaches: the distiller loads it as a mentor.
    assert not torch.equal(state['state_dict']['head.fc.weight'], fresh.head.fc.weight)
    from classroomkd_mm.checkpoint import load_mentor_weights
    mentor = MODELS.build(dict(type='ckd.build_cifar_classifier', arch='resnet8',
                               num_classes=10))
    load_mentor_weights(mentor, out, 'weak')
    assert torch.equal(mentor.head.fc.weight, state['state_dict']['head.fc.weight'])
    bad = run_python('tools/train_cifar10_mentor.py', 'resnet8', out, '--wrong-labels', '1.5')
    assert bad.returncode == 2 and '--wrong-labels must be in [0, 1]' in bad.stderr
