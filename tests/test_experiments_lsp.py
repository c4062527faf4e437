"""experiments.lsp: the LSP classrooms and their students through MMEngine's Runner on the
bundled slice (one short epoch, float16 mentor checkpoints in the shipped format), and the
benchmark's run list."""
import json
import os
import os.path as osp
import queue

import pytest
import torch
from mmengine.registry import MODELS

from classroomkd_mm.datasets.lsp import keypoint_names, metainfo_file, validation_indices
from classroomkd_mm.engine.config_files import read_config
from classroomkd_mm.engine.export import export_float16
from classroomkd_mm.experiments.lsp import (METHODS, STUDENT_IMAGES, Run, StepsOfRuns,
                                            benchmark_runs, chosen_temperatures,
                                            classroom_and_seed,
                                            evaluation_options, run_all, stale,
                                            train_and_test_run, validation_runs)
from classroomkd_mm.experiments.results import ResultStore
from runner_utils import DATA, REPO

pytestmark = pytest.mark.usefixtures('pose_scope')
SLICE = osp.join(DATA, 'lsp_slice')


def on_slice(annotations) -> dict:
    options = {'train_dataloader.batch_size': 8, 'val_dataloader.batch_size': 10,
               'test_dataloader.batch_size': 10, 'train_cfg.max_epochs': 1,
               'param_scheduler.1.end': 1, 'param_scheduler.1.T_max': 1,
               'default_hooks.checkpoint': None, 'default_hooks.logger.interval': 1,
               'randomness.seed': 0}
    for loader, split in (('train_dataloader', 'train'), ('val_dataloader', 'test'),
                          ('test_dataloader', 'test')):
        options[f'{loader}.dataset.data_root'] = SLICE
        options[f'{loader}.dataset.ann_file'] = annotations[split]
    return options


def seeded_mentors(config: str, tmp_path) -> dict:
    """Each mentor of ``config``: seeded random weights, exported as the mentor script
    exports trained ones (float16, keypoint names in the meta)."""
    options = {}
    for index, mentor in enumerate(read_config(osp.join(REPO, config)).model.mentors):
        torch.manual_seed(index)
        model = MODELS.build(read_config(mentor.config).model)
        raw = str(tmp_path / f'{mentor.name}_fp32.pth')
        torch.save(dict(state_dict=model.state_dict()), raw)
        export_float16(raw, str(tmp_path / f'{mentor.name}.pth'),
                       dict(keypoint_id2name=keypoint_names()))
        options[f'model.mentors.{index}.checkpoint'] = str(tmp_path / f'{mentor.name}.pth')
    return options


@pytest.mark.parametrize('config, mentors', [
    ('configs/lsp/litehrnet-18_classroom.py', ('litehrnet-30', 'litehrnet-18')),
    ('configs/lsp/rtmpose-t_classroom_noisy.py', ('rtmpose-s', 'rtmpose-t', 'rtmpose-t_weak')),
])
def test_lsp_classroom_trains_an_epoch_on_the_slice(config, mentors, lsp_slice_annotations,
                                                    tmp_path):
    options = dict(on_slice(lsp_slice_annotations), **seeded_mentors(config, tmp_path))
    result = train_and_test_run(Run('classroom', config, options=options),
                                str(tmp_path / 'work'), workers=0)
    assert 0.0 <= result['PCK'] <= 100.0 and result['EPE'] > 0
    assert set(result['active']) == set(mentors)
    assert all(0.0 <= rate <= 1.0 for rate in result['active'].values())
    [scalars] = list((tmp_path / 'work').glob('*/vis_data/scalars.json'))
    steps = [json.loads(line) for line in scalars.read_text().splitlines()]
    steps = [s for s in steps if 'loss_distill' in s]
    assert len(steps) == 5  # 40 training images, batches of 8
    assert all(f'temp/{m}' in s and f'active_rate/{m}' in s for s in steps for m in mentors)
    assert all(torch.isfinite(torch.tensor(s['loss_distill'])) for s in steps)


def test_nokd_trains_the_classrooms_student_alone_on_the_slice(lsp_slice_annotations,
                                                              tmp_path):
    run = Run('nokd', 'configs/lsp/rtmpose-t_classroom.py', 'NOKD',
              on_slice(lsp_slice_annotations))
    assert run.build().model == read_config('configs/lsp/rtmpose-t_lsp-64x64.py').model
    result = train_and_test_run(run, str(tmp_path / 'work'), workers=0)
    assert 0.0 <= result['PCK'] <= 100.0 and 'active' not in result


def test_benchmark_runs_every_method_on_the_student_subset():
    runs = benchmark_runs(['heatmap', 'simcc'], list(METHODS), [0, 1, 2])
    assert len(runs) == 3 * (2 * 11 + 2)  # 11 methods in both classrooms, 2 heatmap-only
    names = [run.name for run in runs]
    assert len(set(names)) == len(names)
    by_name = {run.name: run for run in runs}
    assert by_name['simcc/nokd/seed1'] == Run(
        'simcc/nokd/seed1', 'configs/lsp/rtmpose-t_classroom.py', 'NOKD',
        {'train_dataloader.dataset.indices': 1000, 'randomness.seed': 1})
    noisy = by_name['heatmap/noisy_aver/seed0']
    assert (noisy.config, noisy.method) == ('configs/lsp/litehrnet-18_classroom_noisy.py', 'AVER')
    run = by_name['heatmap/heatmap_beta_1/seed2']
    assert (run.config, run.method) == ('configs/lsp/litehrnet-18_classroom.py', 'ClassroomKD')
    assert run.options['model.adapter.heatmap_beta'] == 1.0
    assert all(osp.isfile(osp.join(REPO, run.config)) for run in runs)


def test_the_validation_split_is_the_last_training_images(lsp_slice_annotations):
    """The last 1,000 of the 9,000 training images; on the slice (40 training images), the
    last 10 are images 31-40, as the test loader reads them."""
    from mmpose.datasets import CocoDataset
    assert evaluation_options('val') == {
        'test_dataloader.dataset.ann_file': 'annotations/lsp_train.json',
        'test_dataloader.dataset.indices': list(range(8000, 9000))}
    assert evaluation_options('test') == {} and STUDENT_IMAGES <= 8000
    dataset = CocoDataset(ann_file=lsp_slice_annotations['train'], data_root=SLICE,
                          data_prefix=dict(img='images/'), indices=validation_indices(40, 10),
                          metainfo=dict(from_file=metainfo_file()), test_mode=True, pipeline=[])
    assert [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))] == list(
        range(31, 41))


def test_tau0_is_chosen_per_classroom_on_validation_runs_and_then_trained_with(tmp_path):
    val = validation_runs(['simcc'], ['nokd', 'kf_off'], [0])  # KF off takes ClassroomKD's τ0
    assert [run.name for run in val] == [f'simcc/val/ClassroomKD/{v}/seed0'
                                         for v in (1, 2, 4, 8, 12)]
    assert (val[3].config, val[3].method) == ('configs/lsp/rtmpose-t_classroom.py', 'ClassroomKD')
    assert val[3].options == {'train_dataloader.dataset.indices': 1000, 'randomness.seed': 0,
                              'model.mentoring.base_temperature': 8.0,
                              **evaluation_options('val')}
    store = ResultStore(str(tmp_path / 'results.json'))
    for run in val:
        store.put(run.name, dict(PCK=40.0 + (run.name == 'simcc/val/ClassroomKD/8/seed0')))
    chosen = chosen_temperatures(store.data, ['simcc'])
    assert chosen == {'simcc': {'ClassroomKD': 8}}
    runs = {run.name: run for run in benchmark_runs(['simcc'], ['nokd', 'kf_off', 'noisy_aver',
                                                                'noisy_classroomkd'], [0], chosen)}
    assert {name: run.options.get('model.mentoring.base_temperature')
            for name, run in runs.items()} == {
        'simcc/nokd/seed0': None, 'simcc/kf_off/seed0': 8.0, 'simcc/noisy_aver/seed0': None,
        'simcc/noisy_classroomkd/seed0': 8.0}
    # a run recorded with another τ0 (or with the config's), or on other images, is trained
    # again
    store.put('simcc/kf_off/seed0', dict(PCK=1.0, images=1000))
    store.put('simcc/nokd/seed0', dict(PCK=1.0, images=1000))
    store.put('simcc/noisy_aver/seed0', dict(PCK=1.0, images=500))
    store.put('simcc/noisy_classroomkd/seed0', dict(PCK=1.0, images=1000, temperatures={
        'model.mentoring.base_temperature': 8.0}))
    assert stale(list(runs.values()), store) == ['simcc/kf_off/seed0', 'simcc/noisy_aver/seed0']
    smaller = benchmark_runs(['simcc'], ['nokd'], [0], chosen, images=500)
    assert smaller[0].options['train_dataloader.dataset.indices'] == 500
    assert stale(smaller, store) == ['simcc/nokd/seed0']
    with pytest.raises(ValueError, match='1 to 8000 images'):
        benchmark_runs(['simcc'], ['nokd'], [0], images=8500)


def fake_run(run, work_dir, workers, progress):
    """A run function of run_all's kind that only reports its steps."""
    progress.update('train', 2, 2)
    return dict(PCK=float(run.options['seed']), work_dir=work_dir, workers=workers)


class Recorder:
    def __init__(self):
        self.calls = []

    def update(self, *step):
        self.calls.append(step)


def test_run_all_runs_what_the_store_lacks_in_worker_processes(tmp_path):
    path = str(tmp_path / 'results.json')
    store = ResultStore(path)
    store.put('a', {'PCK': -1.0})
    runs = [Run(name, 'x.py', options={'seed': seed}) for seed, name in enumerate('abc')]
    recorder = Recorder()
    run_all(runs, store, str(tmp_path), jobs=2, function=fake_run, progress=recorder)
    assert ResultStore(path).data == {
        'a': {'PCK': -1.0},  # recorded before: not run again
        'b': dict(PCK=1.0, work_dir=str(tmp_path / 'b'), workers=0),
        'c': dict(PCK=2.0, work_dir=str(tmp_path / 'c'), workers=0)}
    assert recorder.calls[-1] == ('train', 4, 4)  # both runs' steps on one line


def test_steps_of_runs_show_the_training_together_then_the_tests():
    recorder, sent = Recorder(), queue.Queue()
    steps = StepsOfRuns(recorder)
    for batch in ([('a', 'train', 3, 10), ('b', 'train', 5, 10)],
                  [('a', 'train', 10, 10), ('a', 'test', 1, 4)],
                  [('b', 'train', 10, 10), ('b', 'test', 2, 4)]):
        for step in batch:
            sent.put(step)
        steps.read(sent)
    assert recorder.calls == [('train', 8, 20), ('train', 15, 20), ('test', 3, 8)]


def sharing_run(run, work_dir, workers, progress):
    """A run function of run_all's kind that reports whether mentor outputs are shared."""
    from classroomkd_mm import mentor_cache
    progress.update('train', 1, 1)
    return dict(sharing=mentor_cache._active is not None, pid=os.getpid())


def test_run_all_runs_the_runs_of_one_classroom_and_seed_in_one_sharing_process(tmp_path):
    path = str(tmp_path / 'results.json')
    runs = [Run(f'{classroom}/{method}/seed{seed}', 'x.py', options={'randomness.seed': seed})
            for classroom in ('heatmap', 'simcc') for seed in (0, 1)
            for method in ('aver', 'classroomkd')]
    run_all(runs[:-1], ResultStore(path), str(tmp_path), jobs=2, function=sharing_run,
            progress=Recorder(), share_by=classroom_and_seed)
    results = ResultStore(path).data
    jobs = {}
    for run in runs[:-1]:
        jobs.setdefault(classroom_and_seed(run), []).append(results[run.name])
    assert len(jobs) == 4 and all(len({r['pid'] for r in job}) == 1 for job in jobs.values())
    assert [r['sharing'] for job in jobs.values() for r in job] == [True] * 6 + [False]
