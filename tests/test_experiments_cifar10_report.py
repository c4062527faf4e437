"""The CIFAR-10 benchmark's report: mean ± std, paired differences and activation rates."""
from classroomkd_mm.experiments.cifar10_report import REPORT_END, REPORT_START, write_report


def test_accuracy_report_gives_mean_std_paired_differences_and_activation(tmp_path):
    setup = dict(train_images=5000, test_images=10000, epochs=12, batch_size=64,
                 machine='2-core CPU container, no GPU', mentors=['resnet56', 'weak'])

    def run(top1, **rates):
        return dict(top1=top1, setup=setup,
                    telemetry={f'active_rate/{name}': rate for name, rate in rates.items()})
    results = {'mentors': {'resnet56': {'top1': 88.0}, 'weak': {'top1': 40.0}}, 'runs': {
        'cpu/clean/NOKD/seed0': run(60.0), 'cpu/clean/NOKD/seed1': run(62.0),
        'cpu/clean/AVER/seed0': run(63.0, resnet56=1.0, weak=1.0),
        'cpu/clean/AVER/seed1': run(61.0, resnet56=1.0, weak=1.0),
        'cpu/clean/ClassroomKD/seed0': run(64.0, resnet56=1.0, weak=0.25),
        'cpu/clean/ClassroomKD/seed1': run(65.0, resnet56=1.0, weak=0.75)}}
    (tmp_path / 'results.md').write_text(f'# Results\n\nbefore\n\n{REPORT_START}\nold\n'
                                         f'{REPORT_END}\n\nafter\n')
    write_report(results, str(tmp_path))
    page = (tmp_path / 'results.md').read_text()
    assert page.startswith('# Results\n\nbefore\n\n') and page.endswith('\n\nafter\n')
    assert 'old' not in page
    lines = page.splitlines()
    # ClassroomKD: mean 64.5, sample std sqrt(0.5) = 0.71; vs AVER +1, +4; vs NOKD +4, +3
    assert ('| ClassroomKD | 64.50 ± 0.71 | 64.00, 65.00 | +1.00, +4.00 (mean +2.50; 2/2 '
            'better) | +4.00, +3.00 (mean +3.50; 2/2 better) |') in lines
    assert ('| NOKD | 61.00 ± 1.41 | 60.00, 62.00 | -3.00, +1.00 (mean -1.00; 1/2 better) '
            '| - |') in lines
    # the weak mentor taught in 25 % and 75 % of the steps: 50 % on average; AVER has no
    # Knowledge Filter, so its (all-ones) rates get no column
    assert '| mentor | top-1 (%) | taught under ClassroomKD (per seed) |' in lines
    assert '| weak | 40.00 | 50 % (25, 75) |' in lines
    assert '| resnet56 | 88.00 | 100 % (100, 100) |' in lines
    assert any('machine: 2-core CPU container, no GPU' in line for line in lines)
    assert (tmp_path / 'cifar10_methods_cpu.png').stat().st_size > 0
