"""tools/plot_classroom.py draws a training run's classroom telemetry."""
from runner_utils import run_python


def test_plot_classroom_draws_the_figures(trained_classroom, tmp_path):
    _, work_dir, _ = trained_classroom
    result = run_python('tools/plot_classroom.py', work_dir, '--out', str(tmp_path))
    assert result.returncode == 0, result.stderr
    for name in ('classroom_ranks.png', 'classroom_temperatures.png',
                 'classroom_activation.png'):
        with open(tmp_path / name, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    missing = run_python('tools/plot_classroom.py', str(tmp_path / 'nothing'))
    assert missing.returncode == 2 and 'is it a work dir' in missing.stderr
