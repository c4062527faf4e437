"""experiments.lsp_report: every method paired seed by seed with the three baselines, the
noisy classroom with its own AVER, the τ0 chosen on validation; exact numbers by hand."""
from classroomkd_mm.experiments.lsp_report import REPORT_END, REPORT_START, report, write_report

MENTORS = {'rtmpose-s': 64.40, 'rtmpose-t': 62.91, 'rtmpose-t_weak': 26.10}


def test_report_pairs_every_method_with_the_three_baselines():
    pck = {'nokd': (40.0, 42.0), 'aver': (43.0, 44.5), 'aver_matched': (44.0, 44.0),
           'classroomkd': (45.0, 44.0)}
    results = {f'simcc/{method}/seed{seed}': dict(PCK=value, EPE=30.0 - seed, images=500,
                                                   active={'rtmpose-s': 1.0, 'rtmpose-t': 0.5})
               for method, values in pck.items() for seed, value in enumerate(values)}
    lines = report(results, [0, 1], MENTORS).splitlines()
    assert ('| method | PCK@0.2 mean ± std (%) | per seed | vs NOKD (paired) | vs AVER (paired) '
            '| vs AVER α=λ (paired) | EPE mean ± std (px) |') in lines
    # ClassroomKD 45, 44: mean 44.5, sample std sqrt(0.5) = 0.71; vs NOKD +5, +2; vs AVER
    # +2, -0.5; vs AVER alpha = lambda +1, 0; EPE 30, 29.
    assert ('| ClassroomKD | 44.50 ± 0.71 | 45.00, 44.00 | +5.00, +2.00 (mean +3.50; 2/2 better) '
            '| +2.00, -0.50 (mean +0.75; 1/2 better) | +1.00, +0.00 (mean +0.50; 1/2 better) '
            '| 29.50 ± 0.71 |') in lines
    assert ('Mentors alone (PCK@0.2 %, test split): rtmpose-s 64.40, rtmpose-t 62.91, '
            'rtmpose-t_weak 26.10.') in lines
    start = lines.index('| ClassroomKD minus | per seed (paired) |')
    assert lines[start + 2:start + 6] == [
        '| NOKD | +5.00, +2.00 (mean +3.50; 2/2 better) |',
        '| AVER | +2.00, -0.50 (mean +0.75; 1/2 better) |',
        '| AVER α=λ | +1.00, +0.00 (mean +0.50; 1/2 better) |', '']
    assert '| ClassroomKD | 1.00 | 0.50 | - |' in lines
    assert '#### RTMPose-t student, SimCC classroom' in lines
    assert ('Students on the first 500 training images, 10 epochs; PCK@0.2 and EPE on the '
            '1,000 test images.') in lines
    assert not any(line.startswith('#### LiteHRNet') for line in lines)  # no heatmap runs


def test_report_pairs_the_noisy_classroom_with_its_own_aver():
    pck = {'nokd': 40.0, 'aver': 45.0, 'noisy_aver': 43.0, 'noisy_classroomkd': 44.0}
    results = {f'heatmap/{method}/seed0': dict(PCK=value, EPE=30.0, active={})
               for method, value in pck.items()}
    lines = report(results, [0], {}).splitlines()
    assert ('| noisy: ClassroomKD | 44.00 ± 0.00 | 44.00 | +4.00 (mean +4.00; 1/1 better) | '
            '+1.00 (mean +1.00; 1/1 better) | - | 30.00 ± 0.00 |') in lines
    # the noisy ClassroomKD against the noisy methods only; no clean ClassroomKD: no table
    start = lines.index('| noisy: ClassroomKD minus | per seed (paired) |')
    assert lines[start + 2:start + 4] == ['| noisy: AVER | +1.00 (mean +1.00; 1/1 better) |', '']
    assert '| ClassroomKD minus | per seed (paired) |' not in lines


def test_report_gives_the_tau0_chosen_on_validation_and_replaces_its_block(tmp_path):
    tau0 = {'model.mentoring.base_temperature': 2.0}
    results = {'heatmap/nokd/seed0': dict(PCK=40.0, EPE=30.0),
               'heatmap/ca_mkd/seed0': dict(PCK=42.5, EPE=29.0, active={}),
               'heatmap/classroomkd/seed0': dict(PCK=43.0, EPE=29.0, active={},
                                                 temperatures=tau0)}
    results.update({f'heatmap/val/ClassroomKD/{value}/seed0': dict(PCK=pck, EPE=1.0)
                    for value, pck in ((1, 41.0), (2, 44.0), (4, 43.0), (8, 42.0), (12, 40.0))})
    (tmp_path / 'results.md').write_text(
        f'# Results\n\n{REPORT_START}\nstale block\n{REPORT_END}\nafter\n')
    write_report(results, [0], {}, str(tmp_path))
    page = (tmp_path / 'results.md').read_text()
    assert page.startswith(f'# Results\n\n{REPORT_START}\n#### LiteHRNet-18 student, heatmap')
    assert page.endswith(f'(lsp_methods.png)\n{REPORT_END}\nafter\n')
    assert 'stale block' not in page
    lines = page.splitlines()
    assert ('| ClassroomKD | τ0 (`mentoring.base_temperature`) | 0 | 41.00 | **44.00** | 43.00 | '
            '42.00 | 40.00 | τ0 = 2 |') in lines
    assert 'Trained with the temperatures chosen on validation: ClassroomKD τ0 = 2.' in lines
    assert ('| CA-MKD (logits) | 42.50 ± 0.00 | 42.50 | +2.50 (mean +2.50; 1/1 better) | - | - '
            '| 29.00 ± 0.00 |') in lines
    assert (tmp_path / 'lsp_methods.png').stat().st_size > 0
