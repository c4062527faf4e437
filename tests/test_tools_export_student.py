"""tools/export_student.py: the student of a ClassroomKD checkpoint, tested by the stock tools."""
import os.path as osp

from runner_utils import run_python


def test_exported_student_runs_with_stock_tools(trained_classroom, tmp_path, cifar10_tiny):
    _, work_dir, _ = trained_classroom
    exported = str(tmp_path / 'student.pth')
    result = run_python('tools/export_student.py', osp.join(work_dir, 'epoch_2.pth'), exported)
    assert result.returncode == 0, result.stderr
    # The student's own standalone config tests it, through tools/test.py.
    result = run_python('tools/test.py', 'configs/cifar10/standalone.py', exported,
                        '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                        f'test_dataloader.dataset.data_root={cifar10_tiny}',
                        'test_dataloader.num_workers=0',
                        'test_dataloader.persistent_workers=False')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'accuracy/top1' in result.stdout + result.stderr
