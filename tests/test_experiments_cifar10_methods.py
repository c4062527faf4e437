"""The CIFAR-10 benchmark: every run through the Runner, as tools/train.py trains its config;
end to end on a slice, resumed."""
import glob
import json
import os
import os.path as osp

from mmengine.runner import Runner

from classroomkd_mm.experiments import cifar10_methods, runs, scalars
from classroomkd_mm.experiments.results import ResultStore
from runner_utils import REPO, run_python


def losses(work_dir: str) -> list:
    records = scalars.read_records(scalars.newest_scalars_file(work_dir))
    return [(r['step'], r['loss'], r['loss_distill']) for r in records if 'loss' in r]


def test_a_benchmark_run_trains_as_tools_train_trains_its_config(tmp_path, cifar10_tiny,
                                                                 monkeypatch):
    """The benchmark's ClassroomKD run (fast data path, the config's schedule, seed 3; two of
    its mentors), and tools/train.py's code path on the config the run dumped: the same loss
    at every step."""
    from classroomkd_mm.engine.train import train_config, train_parser
    classroom = cifar10_methods.classroom_config()
    cfg = cifar10_methods.run_config(classroom, 'ClassroomKD',
                                     [m.to_dict() for m in classroom.model.mentors[:2]], epochs=1,
                                     seed=3, train_per_class=20, test_per_class=2)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.source = cifar10_tiny
    cfg.merge_from_dict({'default_hooks.logger.interval': 1, 'train_dataloader.num_workers': 0,
                         'train_dataloader.persistent_workers': False})
    monkeypatch.chdir(REPO)  # the mentors' checkpoints are named relative to the checkout
    runs.train_and_test(cfg, str(tmp_path / 'benchmark'))
    [dumped] = glob.glob(str(tmp_path / 'benchmark' / '2*.py'))
    args = train_parser().parse_args([dumped, '--work-dir', str(tmp_path / 'train')])
    Runner.from_cfg(train_config(args)).train()
    benchmark = losses(str(tmp_path / 'benchmark'))
    assert [step for step, *_ in benchmark] == [1, 2, 3, 4]  # 200 images, batch 64
    assert losses(str(tmp_path / 'train')) == benchmark


def test_benchmark_runs_end_to_end_on_a_slice_and_resumes(tmp_path):
    """The full-scale path (noisy classroom included) on 2 images per class, on the CPU."""
    docs, work = tmp_path / 'docs', tmp_path / 'work'
    docs.mkdir()
    (docs / 'results.md').write_text('# Results\n\nkept\n')
    args = ['tools/benchmarks/cifar10_methods.py', '--slice', '2', '--seeds', '0',
            '--methods', 'NOKD', 'AVER', 'ClassroomKD', '--work-dir', str(work),
            '--docs', str(docs)]
    cpu = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    result = run_python(*args, env=cpu)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((work / 'results.json').read_text())
    assert sorted(results['runs']) == sorted(
        f'cpu10k-slice/{classroom}/{method}/seed0' for classroom, method in [
            ('clean', 'NOKD'), ('clean', 'AVER'), ('clean', 'ClassroomKD'),
            ('noisy', 'AVER'), ('noisy', 'ClassroomKD')])
    noisy = results['runs']['cpu10k-slice/noisy/ClassroomKD/seed0']
    weak = ('resnet14_1epoch', 'resnet14_wrong40')
    assert noisy['setup']['mentors'] == ['resnet56', 'shufflev2', 'resnet32', 'resnet20', *weak]
    assert noisy['setup']['train_images'] == noisy['setup']['test_images'] == 20
    assert all(0 <= noisy['telemetry'][f'active_rate/{m}'] <= 1
               for m in noisy['setup']['mentors'])
    assert all(osp.isfile(work / 'mentors' / f'{m}.pth') for m in weak)
    assert set(results['mentors']) == set(noisy['setup']['mentors'])
    page = (docs / 'results.md').read_text()
    assert page.startswith('# Results\n\nkept\n') and '| ClassroomKD |' in page
    assert (docs / 'cifar10_methods_cpu10k-slice.png').stat().st_size > 0
    # Resumed: nothing left to train; the report comes back the same.
    again = run_python(*args, env=cpu)
    assert again.returncode == 0 and '] cpu10k-slice/' not in again.stdout
    assert (docs / 'results.md').read_text() == page


def stand_in_for_the_runner(trained: list, root: str):
    """A ``train`` for run_all: records the run, checks its data, and scores it by its
    temperature: on validation ClassroomKD is best at τ0 = 4 and AVER at τ = 8; on the test
    images, the other way round (the choice must not follow them)."""
    def train(cfg, work_dir):
        trained.append(osp.relpath(work_dir, root))
        assert [(cfg[f'{loader}_dataloader'].dataset.split,
                 cfg[f'{loader}_dataloader'].dataset.per_class)
                for loader in ('train', 'val', 'test')] == [
                    ('train_minus_val', 1000), ('val', None), ('test', None)]
        mentoring = cfg.model.get('mentoring', {})
        if not cfg.model.get('mentors'):
            val = 30.0
        elif mentoring.get('enabled', True):
            val = 50.0 + {1: 0, 2: 1, 4: 3, 8: 2, 12: 0}[mentoring.base_temperature]
        else:
            val = 40.0 + mentoring.fixed_temperature
        return {'val/accuracy/top1': val, 'accuracy/top1': 100.0 - val}
    return train


def test_temperatures_are_chosen_on_validation_then_the_test_runs_train_with_them(tmp_path):
    """run_all's plan with a stand-in for the Runner: the validation runs of the grids the
    methods need, in the clean classroom; the choice by validation score; the test runs with
    it (ClassroomKD's is its validation run of the chosen τ0); nothing again on a resume, and
    the runs whose choice changed."""
    store = ResultStore(str(tmp_path / 'results.json'))
    store.put('mentors', {m: dict(top1=88.0, machine='-')  # tested: no Runner for them
                          for m in ('resnet56', 'shufflev2', 'resnet32', 'resnet20')})
    trained = []
    plan = dict(store=store, work_dir=str(tmp_path), scale='cpu10k', classrooms=['clean'],
                methods=['NOKD', 'ClassroomKD', 'KF off', 'CA-MKD (logits)'], seeds=[0],
                select=True, log=lambda line: None,
                train=stand_in_for_the_runner(trained, str(tmp_path)))
    cifar10_methods.run_all(**plan)
    assert trained == [f'validation/cpu10k/clean/val/{method}/{value}/seed0' for method, values
                       in (('AVER', (1, 2, 4, 8)), ('ClassroomKD', (1, 2, 4, 8, 12)))
                       for value in values] + [
        f'runs/cpu10k/clean/{method}/seed0' for method in ('NOKD', 'KF off', 'CA-MKD (logits)')]
    validation = store.get('validation')
    assert validation['cpu10k/clean/val/ClassroomKD/4/seed0']['val_top1'] == 53.0
    assert validation['cpu10k/clean/val/AVER/8/seed0']['setup']['val_images'] == 5000
    test_runs = store.get('runs')
    assert {key: run['setup']['temperatures'] for key, run in test_runs.items()} == {
        'cpu10k/clean/NOKD/seed0': {},
        'cpu10k/clean/ClassroomKD/seed0': {'model.mentoring.base_temperature': 4.0},
        'cpu10k/clean/KF off/seed0': {'model.mentoring.base_temperature': 4.0},
        'cpu10k/clean/CA-MKD (logits)/seed0': {'model.mentoring.fixed_temperature': 8.0}}
    assert test_runs['cpu10k/clean/ClassroomKD/seed0'] == validation[
        'cpu10k/clean/val/ClassroomKD/4/seed0']
    assert test_runs['cpu10k/clean/ClassroomKD/seed0']['top1'] == 47.0
    setup = test_runs['cpu10k/clean/NOKD/seed0']['setup']
    assert (setup['train_images'], setup['test_images'], setup['val_images'],
            setup['epochs']) == (10000, 10000, 5000, 15)
    cifar10_methods.run_all(**plan)  # resumed: nothing to train
    assert len(trained) == 12
    validation['cpu10k/clean/val/AVER/2/seed0']['val_top1'] = 99.0
    store.save()
    cifar10_methods.run_all(**plan)  # AVER's choice is now 2: CA-MKD (logits) trains again
    assert trained[12:] == ['runs/cpu10k/clean/CA-MKD (logits)/seed0']
    assert store.get('runs')['cpu10k/clean/CA-MKD (logits)/seed0']['setup']['temperatures'] == {
        'model.mentoring.fixed_temperature': 2.0}
