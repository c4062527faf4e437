"""The benchmark scripts run as documented and compute what docs/results.md reports."""
import importlib.util
import os.path as osp
import re
import subprocess
import sys

from runner_utils import REPO


def load_tool(relative_path):
    spec = importlib.util.spec_from_file_location(osp.basename(relative_path)[:-3],
                                                  osp.join(REPO, relative_path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_step_time_benchmark_reports_every_variant_and_ratio():
    result = subprocess.run(
        [sys.executable, 'tools/benchmarks/step_time.py', '--reps', '2', '--warmup', '0',
         '--batch', '4'], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.search(r'^device: CPU, \d+ cores visible, torch on \d+ threads; batch 4, median '
                     r'of 2 reps', result.stdout, re.MULTILINE)
    rows = dict(re.findall(r'^\| (.+?) \| ([\d.]+) \|', result.stdout, re.MULTILINE))
    host_syncs = dict(re.findall(r'^\| (.+?) \|.* \| (\d+) \|$', result.stdout, re.MULTILINE))
    for variant in ('student alone', 'KD (teacher)', 'AVER', 'ClassroomKD',
                    'ClassroomKD, per-sample', 'ClassroomKD, fast path fp32',
                    'ClassroomKD, fast path bfloat16', "authors'-style loop",
                    'mentor forward: resnet110', 'mentor forward: shufflev1'):
        assert float(rows[variant]) > 0, variant
    for ratio in ('ClassroomKD / AVER', "ClassroomKD fast path fp32 / authors'-style loop",
                  'ClassroomKD / (student step + sum of mentor forwards)',
                  'ClassroomKD fast path fp32 / student alone'):
        assert ratio in rows
    # The CUDA-graph variants and their targets are named, and measured on CUDA only.
    for row in ('| AVER, fast path fp32 + CUDA graph | - (CUDA only) |',
                '| ClassroomKD, fast path fp32 + CUDA graph | - (CUDA only) |',
                "| ClassroomKD fast path fp32 + CUDA graph / authors'-style loop "
                '| - (CUDA only) | <= 0.4 |',
                '| ClassroomKD / AVER, both fast path fp32 + CUDA graph | - (CUDA only) '
                '| <= 1.02 |',
                '| ClassroomKD fast path fp32 + CUDA graph / student alone (stretch: overlap) '
                '| - (CUDA only) | <= 1.5 |'):
        assert row in result.stdout
    # The authors'-style loop reads one confidence per model into Python: 1 + 6 mentors.
    assert host_syncs["authors'-style loop"] == '7'
    assert all(host_syncs[name] == '0' for name in rows if name.startswith('ClassroomKD,'))
    assert host_syncs['ClassroomKD'] == '0'
    assert rows['host syncs in every ClassroomKD variant'] == '0'
    # Six mentors, and what autograd saves is still the student's (plus their logits).
    assert 1.0 <= float(rows['ClassroomKD autograd memory / student alone']) < 1.05


def test_accuracy_report_gives_mean_std_paired_differences_and_activation(tmp_path):
    bench = load_tool('tools/benchmarks/cifar10_methods.py')
    setup = dict(train_images=5000, test_images=10000, epochs=12, batch_size=64,
                 machine='2-core CPU container, no GPU', mentors=['resnet56', 'weak'])

    def run(top1, **rates):
        return dict(top1=top1, setup=setup,
                    telemetry={f'active_rate/{name}': rate for name, rate in rates.items()})
    results = {'mentors': {'resnet56': {'top1': 88.0}, 'weak': {'top1': 40.0}}, 'runs': {
        'cpu/clean/NOKD/seed0': run(60.0), 'cpu/clean/NOKD/seed1': run(62.0),
        'cpu/clean/AVER/seed0': run(63.0), 'cpu/clean/AVER/seed1': run(61.0),
        'cpu/clean/ClassroomKD/seed0': run(64.0, resnet56=1.0, weak=0.25),
        'cpu/clean/ClassroomKD/seed1': run(65.0, resnet56=1.0, weak=0.75)}}
    (tmp_path / 'results.md').write_text(f'# Results\n\nbefore\n\n{bench.REPORT_START}\nold\n'
                                         f'{bench.REPORT_END}\n\nafter\n')
    bench.write_report(results, str(tmp_path))
    page = (tmp_path / 'results.md').read_text()
    assert page.startswith('# Results\n\nbefore\n\n') and page.endswith('\n\nafter\n')
    assert 'old' not in page
    lines = page.splitlines()
    # ClassroomKD: mean 64.5, sample std sqrt(0.5) = 0.71; vs AVER +1, +4; vs NOKD +4, +3
    assert ('| ClassroomKD | 64.50 ± 0.71 | 64.00, 65.00 | +1.00, +4.00 (mean +2.50; 2/2 '
            'better) | +4.00, +3.00 (mean +3.50; 2/2 better) |') in lines
    assert ('| NOKD | 61.00 ± 1.41 | 60.00, 62.00 | -3.00, +1.00 (mean -1.00; 1/2 better) '
            '| - |') in lines
    # the weak mentor taught in 25 % and 75 % of the steps: 50 % on average
    assert '| weak | 40.00 | 50 % (25, 75) |' in lines
    assert '| resnet56 | 88.00 | 100 % (100, 100) |' in lines
    assert any('machine: 2-core CPU container, no GPU' in line for line in lines)
    assert (tmp_path / 'cifar10_methods_cpu.png').stat().st_size > 0


def test_only_real_syncs_are_counted_on_cuda():
    """PyTorch's sync debug mode also warns, once, that it is a prototype: not a sync."""
    step_time = load_tool('tools/benchmarks/step_time.py')
    assert step_time.is_a_sync('called a synchronizing CUDA operation')
    assert not step_time.is_a_sync('Synchronization debug mode is a prototype feature and does '
                                   'not yet detect all synchronizing operations')
