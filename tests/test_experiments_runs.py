"""experiments.runs: train then test, and test a checkpoint, through MMEngine's Runner."""
import glob
import io
import json
import multiprocessing
import os.path as osp
import time

from classroomkd_mm.experiments import runs, scalars
from classroomkd_mm.experiments.progress import Progress
from runner_utils import DATA


def test_train_and_test_returns_the_test_metrics_and_the_classroom_telemetry(experiment_run):
    work_dir, metrics = experiment_run
    mentors = ('mobilenetv2', 'resnet14', 'resnet20')
    assert set(metrics) == {'accuracy/top1'} | {f'{kind}/{name}' for name in mentors
                                                for kind in ('rank', 'temp', 'active_rate',
                                                             'active_rate_by_epoch')} \
        | {'rank/student'}
    # one epoch: its activation rate is the run's
    assert all(metrics[f'active_rate_by_epoch/{m}'] == [metrics[f'active_rate/{m}']]
               for m in mentors)
    [log_dir] = glob.glob(osp.join(work_dir, '2*'))
    with open(osp.join(log_dir, f'{osp.basename(log_dir)}.json')) as f:
        tested = json.loads(f.readlines()[-1])  # the test's metrics, as the Runner logs them
    assert tested['accuracy/top1'] == metrics['accuracy/top1']
    records = scalars.read_records(scalars.newest_scalars_file(work_dir))
    assert not any('accuracy/top1' in r for r in records)  # no validation while training
    assert osp.isfile(osp.join(log_dir, 'vis_data', 'config.py'))


def test_a_quiet_test_prints_nothing_and_logs_to_the_work_dir(cifar10_tiny, tmp_path, capfd):
    """A shipped mentor on the 100 test images of the tiny subset, its progress on a stream
    of its own; the console stays empty."""
    stream = io.StringIO()
    with Progress(1, stream, label_width=8).stage('resnet20') as stage:
        metrics = runs.test_checkpoint(
            'configs/cifar10/standalone.py', osp.join(DATA, 'cifar10_mentors', 'resnet20.pth'),
            str(tmp_path / 'work'), {'model.arch': 'resnet20', 'test_dataloader.num_workers': 0,
                                     'test_dataloader.persistent_workers': False,
                                     'test_dataloader.dataset.data_root': cifar10_tiny},
            progress=stage)
        stage.outcome = f"{metrics['accuracy/top1']:.2f} % top-1"
    assert metrics == {'accuracy/top1': 84.0}
    assert stream.getvalue().startswith('[1/1] resnet20  84.00 % top-1')
    assert capfd.readouterr() == ('', '')
    [log] = glob.glob(str(tmp_path / 'work' / '*' / '*.log'))
    with open(log) as f:
        text = f.read()
    assert 'Config:' in text and 'accuracy/top1: 84.0000' in text


def test_a_run_stops_its_persistent_loader_workers(cifar10_tiny, tmp_path):
    """Left to the garbage collector, they would stop in the middle of the next run (5 s a
    worker: a sweep of runs would wait on each). Only this run's workers count: an earlier
    test in the same pytest worker may leave processes of its own."""
    before = set(multiprocessing.active_children())
    runs.test_checkpoint(
        'configs/cifar10/standalone.py', osp.join(DATA, 'cifar10_mentors', 'resnet20.pth'),
        str(tmp_path / 'work'), {'model.arch': 'resnet20', 'test_dataloader.num_workers': 1,
                                 'test_dataloader.persistent_workers': True,
                                 'test_dataloader.dataset.data_root': cifar10_tiny})
    # on a loaded machine a worker may outlive the loader's 5 s join and be terminated: give
    # it those seconds to be reaped (left to the garbage collector it stays, and this fails)
    deadline = time.monotonic() + 5
    while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not set(multiprocessing.active_children()) - before
