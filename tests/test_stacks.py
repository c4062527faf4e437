"""The supported range's two ends: checkpoints move between the oldest and the newest stack
in both directions, and the oldest stack runs the plugin installed as a user installs it.

CI builds both venvs (``make setup`` and ``make setup STACK=oldest``) before either suite
runs; on a machine with only one of them, the cross-stack test skips and says why.
"""
import os.path as osp
import subprocess
import sys

import pytest

from runner_utils import REPO, write_tiny_classroom

STACK_PYTHONS = {'newest': osp.join(REPO, '.venv', 'bin', 'python'),
                 'oldest': osp.join(REPO, '.venv-oldest', 'bin', 'python')}
THIS_STACK = 'oldest' if osp.realpath(sys.prefix) == osp.realpath(
    osp.join(REPO, '.venv-oldest')) else 'newest'
OTHER_STACK = 'newest' if THIS_STACK == 'oldest' else 'oldest'


def run(stack: str, *args):
    result = subprocess.run([STACK_PYTHONS[stack], *args], cwd=REPO, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, f'{stack} stack: {args}\n{result.stderr[-3000:]}'
    return result.stdout + result.stderr


def train(stack: str, config: str, work_dir: str, epochs: int, resume: str = None):
    resume_args = ['--resume', resume] if resume else []
    return run(stack, 'tools/train.py', config, '--work-dir', work_dir, *resume_args,
               '--cfg-options', f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}')


def evaluate_student(stack: str, student: str, cifar10_tiny: str, tmp_path) -> str:
    """tools/test.py with the student's own config (ResNet-8 alone): the exported file loads."""
    data = [f'{loader}.dataset.data_root={cifar10_tiny}'
            for loader in ('val_dataloader', 'test_dataloader')]
    return run(stack, 'tools/test.py', 'configs/cifar10/standalone.py', student,
               '--work-dir', str(tmp_path / f'test_{stack}'), '--cfg-options',
               'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False', *data)


@pytest.mark.skipif(not osp.isfile(STACK_PYTHONS[OTHER_STACK]),
                    reason=f'needs the {OTHER_STACK} stack too: make setup STACK={OTHER_STACK}')
def test_checkpoints_move_between_the_oldest_and_newest_stack(tmp_path, cifar10_tiny):
    """Train an epoch on one stack, resume it on the other, and back; export the student of
    each stack's checkpoint and evaluate it on the other stack."""
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    work = {stack: str(tmp_path / stack) for stack in ('first', 'second', 'third')}
    train(THIS_STACK, config, work['first'], epochs=1)
    first = osp.join(work['first'], 'epoch_1.pth')
    log = train(OTHER_STACK, config, work['second'], epochs=2, resume=first)
    assert 'Resumed' in log or 'resumed' in log
    second = osp.join(work['second'], 'epoch_2.pth')
    train(THIS_STACK, config, work['third'], epochs=3, resume=second)
    assert osp.isfile(osp.join(work['third'], 'epoch_3.pth'))
    for stack, checkpoint, reader in ((THIS_STACK, first, OTHER_STACK),
                                      (OTHER_STACK, second, THIS_STACK)):
        student = str(tmp_path / f'student_from_{stack}.pth')
        run(stack, 'tools/export_student.py', checkpoint, student)
        assert 'accuracy/top1' in evaluate_student(reader, student, cifar10_tiny, tmp_path)


@pytest.mark.skipif(THIS_STACK != 'oldest', reason='the oldest stack installs the plugin '
                    'with `pip install .`; the newest installs it editable')
def test_oldest_stack_runs_the_installed_package_not_the_checkout():
    import numpy
    import torch

    import classroomkd_mm
    installed = osp.dirname(classroomkd_mm.__file__)
    assert installed != osp.join(REPO, 'classroomkd_mm') and 'site-packages' in installed
    assert osp.isfile(osp.join(installed, '.mim', 'configs', 'lsp', 'litehrnet-18_classroom.py'))
    assert osp.isfile(osp.join(installed, '.mim', 'tools', 'train.py'))
    assert sys.version_info[:2] == (3, 10)
    assert torch.__version__.startswith('2.1.') and numpy.__version__.startswith('1.26.')
