"""tools/paper_runs.py: prints each run's command once and writes the generated configs."""
from runner_utils import run_python


def test_cli_writes_the_generated_configs_once(tmp_path):
    result = run_python('tools/paper_runs.py', '--only', 'fig4', '--config-dir', str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert len(lines) == len(set(lines)) == 24
    assert lines[0] == 'python tools/train.py configs/cifar100/standalone/mobilenetv2.py'
    assert len(list(tmp_path.glob('fig4_*.py'))) == 22
