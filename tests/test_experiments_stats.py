"""experiments.stats: seed statistics and the classroom telemetry averaged over a run."""
import pytest
from mmengine.logging import MessageHub

from classroomkd_mm.experiments import scalars, stats


def test_mean_std_is_the_sample_standard_deviation():
    assert stats.mean_std([1.0, 2.0, 6.0]) == (3.0, pytest.approx(7 ** 0.5))
    assert stats.mean_std([4.5]) == (4.5, 0.0)
    assert stats.mean_pm_std([56.0, 57.0, 58.0]) == '57.00 ± 1.00'


def test_paired_differences_only_on_the_seeds_both_have():
    runs = {0: 60.0, 1: 58.5, 2: 57.0}
    baseline = {0: 59.0, 1: 59.0, 3: 50.0}
    assert stats.paired(runs, baseline) == '+1.00, -0.50 (mean +0.25; 1/2 better)'
    assert stats.paired(runs, {5: 1.0}) == '-'
    # in seed order, whatever order the runs were recorded in
    assert stats.paired({2: 57.0, 0: 60.0}, {0: 59.0, 2: 58.0}) == (
        '+1.00, -1.00 (mean +0.00; 1/2 better)')


def test_step_means_average_every_step_and_name_the_activation_rates():
    hub = MessageHub(name='test_step_means')
    for active, rank in ((1, 0.5), (0, 1.5), (1, 1.0), (1, 2.0)):
        hub.update_scalar('train/active/resnet56', active)
        hub.update_scalar('train/rank/resnet56', rank)
        hub.update_scalar('train/loss', 3.0)
    hub.update_scalar('val/active/resnet56', 0)
    means = stats.step_means(hub)
    assert means == {'active_rate/resnet56': 0.75, 'rank/resnet56': 1.25}
    assert stats.activation_rates(dict(means, **{'accuracy/top1': 50.0})) == {'resnet56': 0.75}


def test_per_epoch_rates_and_the_epoch_a_mentor_stops_teaching():
    hub = MessageHub(name='test_epoch_rates')
    for active in (1, 1, 1, 0, 0, 1, 0, 0):  # 3 epochs of 3 steps, the last one short
        hub.update_scalar('train/active/weak', active)
        hub.update_scalar('train/rank/weak', 1.0)
    means = stats.step_means(hub, steps_per_epoch=3)
    assert means['active_rate_by_epoch/weak'] == pytest.approx([1.0, 1 / 3, 0.0])
    assert means['active_rate/weak'] == 0.5
    assert set(means) == {'active_rate/weak', 'active_rate_by_epoch/weak', 'rank/weak'}
    assert stats.stop_epoch([1.0, 1 / 3, 0.0]) == 2
    assert stats.stop_epoch([1.0, 0.2, 0.6, 0.4, 0.0]) == 4  # taught again in epoch 3
    assert stats.stop_epoch([0.0, 0.0]) == 1  # never taught
    assert stats.stop_epoch([0.1, 0.5]) is None  # half the steps of the last epoch


def test_a_runs_activation_rates_are_what_its_log_processor_logged_last(experiment_run):
    """The run's mean over steps (stats.step_means) is the running share that
    ClassroomLogProcessor wrote to scalars.json at the last step, and the mean of the
    per-step flags there (logged at every step)."""
    work_dir, metrics = experiment_run
    records = scalars.read_records(scalars.newest_scalars_file(work_dir))
    rates = stats.activation_rates(metrics)
    assert sorted(rates) == ['mobilenetv2', 'resnet14', 'resnet20']
    for name, rate in rates.items():
        _, flags = scalars.series(records, (f'active/{name}',))[f'active/{name}']
        assert len(flags) == 4 and rate == pytest.approx(sum(flags) / 4)
        assert rate == pytest.approx(records[-1][f'active_rate/{name}'])
