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


def test_report_gives_the_sensitivity_table_the_chosen_temperatures_and_when_weak_mentors_stop(
        tmp_path):
    machine = '2-core CPU container, no GPU'
    names = ['resnet56', 'resnet14_1epoch', 'resnet14_wrong40']
    setup = dict(train_images=10000, test_images=10000, epochs=4, batch_size=64,
                 machine=machine, mentors=names)

    def run(top1, temperatures, **by_epoch):
        telemetry = {f'active_rate/{name}': sum(rates) / 4 for name, rates in by_epoch.items()}
        telemetry.update({f'active_rate_by_epoch/{name}': rates
                          for name, rates in by_epoch.items()})
        return dict(top1=top1, setup=dict(setup, temperatures=temperatures), telemetry=telemetry)
    tau0, tau = {'model.mentoring.base_temperature': 4.0}, {
        'model.mentoring.fixed_temperature': 8.0}
    # resnet14_1epoch teaches in under half the steps from epoch 3 on (seed 0), or to the end
    # (seed 1); resnet14_wrong40 from epoch 1 (seed 0), and seed 1 did not record it
    runs = {'cpu10k/noisy/AVER/seed0': run(60.0, tau), 'cpu10k/noisy/AVER/seed1': run(61.0, tau),
            'cpu10k/noisy/ClassroomKD/seed0': run(
                62.0, tau0, resnet56=[1.0] * 4, resnet14_1epoch=[1.0, 0.8, 0.3, 0.1],
                resnet14_wrong40=[0.2, 0.0, 0.0, 0.0]),
            'cpu10k/noisy/ClassroomKD/seed1': run(
                60.5, tau0, resnet56=[1.0] * 4, resnet14_1epoch=[1.0, 1.0, 1.0, 0.9])}
    validation = {f'cpu10k/clean/val/ClassroomKD/{value}/seed0': dict(
        val_top1=top1, top1=top1 - 1, setup=dict(val_images=5000, machine=machine))
        for value, top1 in ((1, 50.0), (2, 51.0), (4, 53.0), (8, 52.0), (12, 50.5))}
    results = {'mentors': {'resnet56': {'top1': 88.0}, 'resnet14_1epoch': {'top1': 55.0},
                           'resnet14_wrong40': {'top1': 41.0}},
               'runs': runs, 'validation': validation}
    lines = write_report(results, str(tmp_path)).splitlines()
    assert lines[0] == '### CPU scale, 10k: 10,000 training images, 4 epochs'
    assert '| method | temperature | seeds | 1 | 2 | 4 | 8 | 12 | chosen |' in lines
    assert ('| ClassroomKD | τ0 (`mentoring.base_temperature`) | 0 | 50.00 | 51.00 | **53.00** '
            '| 52.00 | 50.50 | τ0 = 4 |') in lines
    assert any(line.startswith('**Temperatures chosen on the validation split** (5,000 images')
               for line in lines)
    assert ('**Noisy classroom** (mentors, top-1 % on the same test set: resnet56 88.00, '
            'resnet14_1epoch 55.00, resnet14_wrong40 41.00 (outside the 45-65 % a weak mentor '
            'needs)).') in lines
    assert ('Trained with the temperatures chosen on validation: AVER τ = 8; '
            'ClassroomKD τ0 = 4.') in lines
    # ClassroomKD minus AVER: +2.00, -0.50
    assert '| AVER | +2.00, -0.50 (mean +0.75; 1/2 better) |' in lines
    assert ('| weak mentor | top-1 (%) | stops teaching under ClassroomKD: epoch per seed |'
            in lines)
    assert '| resnet14_1epoch | 55.00 | 3, never |' in lines
    assert '| resnet14_wrong40 | 41.00 | 1, - |' in lines


def test_compute_table_gives_time_per_step_alone_and_shared_and_the_sweep_ratio():
    from classroomkd_mm.experiments.cifar10_report import compute_table
    setup = dict(train_images=10000, batch_size=64, epochs=15)  # 157 steps an epoch: 2,355

    def run(seconds, shared, computed):
        return dict(seconds=seconds, setup=setup,
                    mentor_outputs=dict(shared=shared, computed=computed))
    # seed 1: ClassroomKD computed the 4 mentors' outputs (706.5 s: 300 ms a step); the
    # other methods shared them (235.5 s: 100 ms a step; NOKD 188.4 s: 80 ms)
    runs = {m: {1: run(235.5, 9420, 0)} for m in
            ('KD', 'AVER', 'AVER α=λ', 'CA-MKD (logits)', 'KF off', 'Mentoring off')}
    runs['ClassroomKD'] = {1: run(706.5, 0, 9420), 2: run(235.5, 9420, 0)}
    runs['NOKD'] = {1: run(188.4, 0, 0)}
    lines = compute_table(runs)
    assert '| NOKD | 80 (1) | 80 (1) |' in lines
    assert '| ClassroomKD | 300 (1) | 100 (1) |' in lines
    assert '| AVER | - | 100 (1) |' in lines
    # (706.5 + 188.4 + 6 x 235.5) / 706.5 = 2307.9 / 706.5
    assert lines[-1] == ('The 8-method sweep of one seed: seed 1: 2308 s for the 8 methods '
                         'against 706 s for ClassroomKD, which computed the mentor outputs: '
                         '**3.27x**.')
