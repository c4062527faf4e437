"""tools/train.py as users run it: a ClassroomKD config trains, resumes and logs its telemetry;
user errors end in one line."""
import glob
import os.path as osp

import pytest
import torch

from runner_utils import run_python, write_tiny_classroom


def test_missing_config_is_one_line():
    result = run_python('tools/train.py', 'configs/nope.py')
    assert result.returncode == 2
    assert result.stderr.strip() == "error: config 'configs/nope.py' does not exist"


@pytest.mark.parametrize('option, message', [
    ('train_cfg.max_epochs', 'expects KEY=VALUE pairs'),
    ('model.mentors=[dict(', 'does not parse'),
])
def test_bad_cfg_options_are_one_line(option, message):
    result = run_python('tools/train.py', 'configs/cifar10/standalone.py',
                        '--cfg-options', option)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_classroom_config_trains_through_tools_train(trained_classroom):
    _, work_dir, log = trained_classroom
    assert 'loss_distill' in log and 'teaching' in log
    assert 'accuracy/top1' in log
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))


def test_training_checkpoint_holds_no_mentor_weights(trained_classroom):
    _, work_dir, _ = trained_classroom
    from classroomkd_mm.compat import load_checkpoint_file
    state = load_checkpoint_file(osp.join(work_dir, 'epoch_2.pth'))['state_dict']
    assert any(k.startswith('student.') for k in state)
    assert not any(k.startswith('mentors.') for k in state)


def test_resume_from_the_projects_own_checkpoint(trained_classroom):
    config, work_dir, _ = trained_classroom
    resumed = work_dir + '_resumed'
    result = run_python('tools/train.py', config, '--work-dir', resumed,
                        '--resume', osp.join(work_dir, 'epoch_1.pth'))
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'resumed epoch: 1' in log and 'Epoch(train) [2]' in log
    assert 'Epoch(train) [1]' not in log


def test_telemetry_reaches_tensorboard(trained_classroom):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    _, work_dir, _ = trained_classroom
    [events] = glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.tfevents.*'))
    tags = set(EventAccumulator(events).Reload().Tags()['scalars'])
    names = ('resnet20', 'resnet14', 'mobilenetv2')
    assert {f'{kind}/{name}' for kind in ('rank', 'temp', 'active', 'active_rate')
            for name in names} | {'rank/student', 'loss_distill'} <= tags


def test_amp_trains_on_cpu_in_bfloat16(tmp_path, cifar10_tiny):
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    result = run_python('tools/train.py', config, '--amp', '--work-dir', str(tmp_path / 'amp'),
                        '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1')
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "type='ckd.CPUAmpOptimWrapper'" in log and 'loss_distill' in log


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason='CUDA --amp is float16, which pose heads read')
def test_amp_on_cpu_refuses_pose_configs_in_one_line():
    result = run_python('tools/train.py', 'configs/lsp/rtmpose-t_classroom.py', '--amp')
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith('error:')]
    assert error.startswith('error: --amp without CUDA autocasts to bfloat16')
