"""tools/*.py as users run them: train a ClassroomKD config, resume, export, user errors."""
import glob
import os.path as osp
import subprocess
import sys

import pytest
import torch

from runner_utils import REPO, save_zoo_checkpoint

PYTHON = sys.executable


def run_tool(*args, cwd=REPO):
    return subprocess.run([PYTHON, *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_missing_config_is_one_line():
    result = run_tool('tools/train.py', 'configs/nope.py')
    assert result.returncode == 2
    assert result.stderr.strip() == "error: config 'configs/nope.py' does not exist"


@pytest.mark.parametrize('option, message', [
    ('train_cfg.max_epochs', 'expects KEY=VALUE pairs'),
    ('model.mentors=[dict(', 'does not parse'),
])
def test_bad_cfg_options_are_one_line(option, message):
    result = run_tool('tools/train.py', 'configs/cifar10/standalone.py',
                      '--cfg-options', option)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def write_tiny_classroom(tmp_path, cifar10_tiny, seed_checkpoints=True):
    """The demo classroom on the test subset, 1 epoch, mentors from seeded random files."""
    from mmengine.registry import MODELS, init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpretrain')
    mentors = []
    for seed, arch in enumerate(('resnet20', 'resnet14', 'mobilenetv2')):
        torch.manual_seed(seed)
        model = MODELS.build(dict(type='CifarClassifier', arch=arch, num_classes=10))
        path = save_zoo_checkpoint(model, str(tmp_path / f'{arch}.pth'))
        mentors.append(dict(name=arch, model=dict(type='CifarClassifier', arch=arch,
                                                   num_classes=10), checkpoint=path))
    config = tmp_path / 'classroom.py'
    config.write_text(f"""
_base_ = ['{REPO}/configs/cifar10/classroom_resnet8.py']
model = dict(mentors={mentors!r})
train_dataloader = dict(batch_size=50, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{cifar10_tiny}'))
val_dataloader = dict(batch_size=100, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{cifar10_tiny}'))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=3))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
""")
    return str(config)


@pytest.fixture(scope='module')
def trained_run(tmp_path_factory, cifar10_tiny):
    tmp_path = tmp_path_factory.mktemp('classroom')
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    work_dir = str(tmp_path / 'work')
    result = run_tool('tools/train.py', config, '--work-dir', work_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    return config, work_dir, result.stdout + result.stderr


def test_classroom_config_trains_through_tools_train(trained_run):
    _, work_dir, log = trained_run
    assert 'loss_distill' in log and 'teaching' in log
    assert 'accuracy/top1' in log
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))


def test_training_checkpoint_holds_no_mentor_weights(trained_run):
    _, work_dir, _ = trained_run
    from classroomkd_mm.compat import load_checkpoint_file
    state = load_checkpoint_file(osp.join(work_dir, 'epoch_2.pth'))['state_dict']
    assert any(k.startswith('student.') for k in state)
    assert not any(k.startswith('mentors.') for k in state)


def test_resume_from_the_projects_own_checkpoint(trained_run):
    config, work_dir, _ = trained_run
    resumed = work_dir + '_resumed'
    result = run_tool('tools/train.py', config, '--work-dir', resumed,
                      '--resume', osp.join(work_dir, 'epoch_1.pth'))
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'resumed epoch: 1' in log and 'Epoch(train) [2]' in log
    assert 'Epoch(train) [1]' not in log


def test_exported_student_runs_with_stock_tools(trained_run, tmp_path, cifar10_tiny):
    _, work_dir, _ = trained_run
    exported = str(tmp_path / 'student.pth')
    result = run_tool('tools/export_student.py', osp.join(work_dir, 'epoch_2.pth'), exported)
    assert result.returncode == 0, result.stderr
    # The student's own standalone config tests it, through tools/test.py.
    result = run_tool('tools/test.py', 'configs/cifar10/standalone.py', exported,
                      '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                      f'test_dataloader.dataset.data_root={cifar10_tiny}',
                      'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'accuracy/top1' in result.stdout + result.stderr


def test_telemetry_reaches_tensorboard(trained_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    _, work_dir, _ = trained_run
    [events] = glob.glob(osp.join(work_dir, '*', 'vis_data', 'events.out.tfevents.*'))
    tags = set(EventAccumulator(events).Reload().Tags()['scalars'])
    names = ('resnet20', 'resnet14', 'mobilenetv2')
    assert {f'{kind}/{name}' for kind in ('rank', 'temp', 'active', 'active_rate')
            for name in names} | {'rank/student', 'loss_distill'} <= tags


def test_plot_classroom_draws_the_figures(trained_run, tmp_path):
    _, work_dir, _ = trained_run
    result = run_tool('tools/plot_classroom.py', work_dir, '--out', str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name in ('classroom_ranks.png', 'classroom_temperatures.png',
                 'classroom_activation.png'):
        with open(tmp_path / name, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    missing = run_tool('tools/plot_classroom.py', str(tmp_path / 'nothing'))
    assert missing.returncode == 2 and 'is it a work dir' in missing.stderr


def test_amp_trains_on_cpu_in_bfloat16(tmp_path, cifar10_tiny):
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    result = run_tool('tools/train.py', config, '--amp', '--work-dir', str(tmp_path / 'amp'),
                      '--cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1')
    assert result.returncode == 0, result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "type='CPUAmpOptimWrapper'" in log and 'loss_distill' in log


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA --amp is float16, which pose heads read')
def test_amp_on_cpu_refuses_pose_configs_in_one_line():
    result = run_tool('tools/train.py', 'configs/lsp/rtmpose-t_classroom.py', '--amp')
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if line.startswith('error:')]
    assert error.startswith('error: --amp without CUDA autocasts to bfloat16')


def test_tools_test_evaluates_a_classroom_without_its_mentors(trained_run, tmp_path):
    config, work_dir, _ = trained_run
    gone = str(tmp_path / 'gone')  # mentor checkpoints that do not exist
    mentors = [dict(name=arch, model=dict(type='CifarClassifier', arch=arch, num_classes=10),
                    checkpoint=f'{gone}/{arch}.pth')
               for arch in ('resnet20', 'resnet14', 'mobilenetv2')]
    elsewhere = tmp_path / 'elsewhere.py'
    elsewhere.write_text(f"_base_ = ['{config}']\nmodel = dict(mentors={mentors!r})\n")
    result = run_tool('tools/test.py', str(elsewhere), osp.join(work_dir, 'epoch_2.pth'),
                      '--work-dir', str(tmp_path / 'test'))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'accuracy/top1' in result.stdout + result.stderr
