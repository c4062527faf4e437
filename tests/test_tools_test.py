"""tools/test.py evaluates a ClassroomKD checkpoint on its student alone."""
import os.path as osp

from runner_utils import run_python


def test_tools_test_evaluates_a_classroom_without_its_mentors(trained_classroom, tmp_path):
    config, work_dir, _ = trained_classroom
    gone = str(tmp_path / 'gone')  # mentor checkpoints that do not exist
    mentors = [dict(name=arch, checkpoint=f'{gone}/{arch}.pth',
                    model=dict(type='ckd.build_cifar_classifier', arch=arch, num_classes=10))
               for arch in ('resnet20', 'resnet14', 'mobilenetv2')]
    elsewhere = tmp_path / 'elsewhere.py'
    elsewhere.write_text(f"_base_ = ['{config}']\nmodel = dict(mentors={mentors!r})\n")
    result = run_python('tools/test.py', str(elsewhere), osp.join(work_dir, 'epoch_2.pth'),
                        '--work-dir', str(tmp_path / 'test'))
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'accuracy/top1' in result.stdout + result.stderr
