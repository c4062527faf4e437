"""The LSP classrooms through MMEngine's Runner on the bundled slice: each trains one short
epoch with float16 mentor checkpoints in the shipped format, tests, and logs the classroom;
the benchmark's run list; the shipped mentors' checksums."""
import hashlib
import json
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.registry import MODELS

from runner_utils import DATA, REPO

sys.path[:0] = [osp.join(REPO, 'tools'), osp.join(REPO, 'tools', 'data'),
                osp.join(REPO, 'tools', 'benchmarks')]
from lsp_runs import train_and_test  # noqa: E402
from train_lsp_mentors import export_fp16, keypoint_names  # noqa: E402

pytestmark = pytest.mark.usefixtures('pose_scope')
SLICE = osp.join(DATA, 'lsp_slice')


@pytest.fixture
def slice_annotations(lsp_slice_annotations):
    return lsp_slice_annotations


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
    from classroomkd_mm.engine import read_config
    options = {}
    for index, mentor in enumerate(read_config(osp.join(REPO, config)).model.mentors):
        torch.manual_seed(index)
        model = MODELS.build(read_config(mentor.config).model)
        raw = str(tmp_path / f'{mentor.name}_fp32.pth')
        torch.save(dict(state_dict=model.state_dict()), raw)
        export_fp16(raw, str(tmp_path / f'{mentor.name}.pth'), keypoint_names())
        options[f'model.mentors.{index}.checkpoint'] = str(tmp_path / f'{mentor.name}.pth')
    return options


@pytest.mark.parametrize('config, mentors', [
    ('configs/lsp/litehrnet-18_classroom.py', ('litehrnet-30', 'litehrnet-18')),
    ('configs/lsp/rtmpose-t_classroom_noisy.py', ('rtmpose-s', 'rtmpose-t', 'rtmpose-t_weak')),
])
def test_lsp_classroom_trains_an_epoch_on_the_slice(config, mentors, slice_annotations,
                                                    tmp_path):
    options = dict(on_slice(slice_annotations), **seeded_mentors(config, tmp_path))
    result = train_and_test(config, str(tmp_path / 'work'), options, workers=0)
    assert 0.0 <= result['PCK'] <= 100.0 and result['EPE'] > 0
    assert set(result['active']) == set(mentors)
    assert all(0.0 <= rate <= 1.0 for rate in result['active'].values())
    [scalars] = list((tmp_path / 'work').glob('*/vis_data/scalars.json'))
    steps = [json.loads(line) for line in scalars.read_text().splitlines()]
    steps = [s for s in steps if 'loss_distill' in s]
    assert len(steps) == 5  # 40 training images, batches of 8
    assert all(f'temp/{m}' in s and f'active_rate/{m}' in s for s in steps for m in mentors)
    assert all(torch.isfinite(torch.tensor(s['loss_distill'])) for s in steps)


def test_student_alone_trains_on_the_slice(slice_annotations, tmp_path):
    result = train_and_test('configs/lsp/rtmpose-t_lsp-64x64.py', str(tmp_path / 'work'),
                            on_slice(slice_annotations), workers=0)
    assert 0.0 <= result['PCK'] <= 100.0 and 'active' not in result


def test_heatmap_classroom_sets_the_adapter_options():
    from classroomkd_mm.engine import read_config
    cfg = read_config(osp.join(REPO, 'configs/lsp/litehrnet-18_classroom.py'))
    assert cfg.model.adapter == dict(type='PoseAdapter', heatmap_beta=10.0, heatmap_floor=0.01)
    aver = read_config(osp.join(REPO, 'configs/lsp/litehrnet-18_classroom_aver-matched.py'))
    assert (aver.model.distill_weight, aver.model.rank_weights) == (2.0, False)
    assert len(aver.model.mentors) == 2  # alpha = lambda


def test_benchmark_runs_every_method_on_the_student_subset():
    from lsp_methods import METHODS, runs_for
    runs = runs_for(['heatmap', 'simcc'], list(METHODS), [0, 1, 2])
    assert len(runs) == 3 * (2 * 8 + 2)  # 8 methods in both classrooms, 2 heatmap-only
    names = [name for name, _, _ in runs]
    assert len(set(names)) == len(names)
    configs = {name: (config, options) for name, config, options in runs}
    assert configs['simcc/nokd/seed1'] == ('configs/lsp/rtmpose-t_lsp-64x64.py', {
        'train_dataloader.dataset.indices': 1000, 'randomness.seed': 1})
    config, options = configs['heatmap/classroomkd_heatmap_beta_1/seed2']
    assert config == 'configs/lsp/litehrnet-18_classroom.py'
    assert options['model.adapter.heatmap_beta'] == 1.0
    assert all(osp.isfile(osp.join(REPO, config)) for config, _ in configs.values())


SHIPPED = osp.join(REPO, 'data', 'lsp_mentors')


def test_shipped_mentors_match_their_checksums_and_load():
    readme = open(osp.join(SHIPPED, 'README.md')).read()
    listed = re.findall(r'\| `([\w.-]+\.pth)` \|.*\| `([0-9a-f]{64})` \|', readme)
    assert len(listed) == 6
    for name, digest in listed:
        with open(osp.join(SHIPPED, name), 'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, name
    from classroomkd_mm.engine import read_config
    for config, mentors in (('litehrnet-18_classroom_noisy.py',
                             {'litehrnet-30', 'litehrnet-18', 'litehrnet-18_weak'}),
                            ('rtmpose-t_classroom_noisy.py',
                             {'rtmpose-s', 'rtmpose-t', 'rtmpose-t_weak'})):
        cfg = read_config(osp.join(REPO, 'configs/lsp', config))
        for mentor in cfg.model.mentors:
            mentor.checkpoint = osp.join(REPO, mentor.checkpoint)
        assert set(MODELS.build(cfg.model).mentors) == mentors


def test_mentor_export_is_float16_where_values_fit(tmp_path):
    raw = tmp_path / 'raw.pth'
    torch.save(dict(state_dict={'conv.weight': torch.tensor([1.5, -0.25]),
                                'bn.running_var': torch.tensor([0.5, 1e6]),  # > 65504
                                'bn.num_batches_tracked': torch.tensor(7)}), raw)
    export_fp16(str(raw), str(tmp_path / 'm.pth'), {0: 'right_ankle'})
    exported = torch.load(tmp_path / 'm.pth', weights_only=True)
    state = exported['state_dict']
    assert state['conv.weight'].dtype == torch.float16
    assert state['bn.running_var'].dtype == torch.float32
    assert state['bn.running_var'][1] == 1e6
    assert state['bn.num_batches_tracked'].dtype == torch.int64
    assert exported['meta'] == dict(dataset_meta=dict(keypoint_id2name={0: 'right_ankle'}))


def test_benchmark_report_pairs_every_method_with_the_three_baselines(monkeypatch):
    import lsp_methods
    monkeypatch.chdir(REPO)
    pck = {'nokd': (40.0, 42.0), 'aver': (43.0, 44.5), 'aver_alpha_lambda': (44.0, 44.0),
           'classroomkd': (45.0, 44.0)}
    results = {f'simcc/{method}/seed{seed}': dict(PCK=value, EPE=30.0 - seed,
                                                   active={'rtmpose-s': 1.0, 'rtmpose-t': 0.5})
               for method, values in pck.items() for seed, value in enumerate(values)}
    lines = lsp_methods.report(results, [0, 1]).splitlines()
    # ClassroomKD 45, 44: mean 44.5, sample std sqrt(0.5) = 0.71; vs NOKD +5, +2; vs AVER
    # +2, -0.5; vs AVER alpha = lambda +1, 0; EPE 30, 29.
    assert ('| ClassroomKD | 44.50 ± 0.71 | 45.00, 44.00 | +5.00, +2.00 (mean +3.50; 2/2 better) '
            '| +2.00, -0.50 (mean +0.75; 1/2 better) | +1.00, +0.00 (mean +0.50; 1/2 better) '
            '| 29.50 ± 0.71 |') in lines
    assert ('Mentors alone (PCK@0.2 %, test split): rtmpose-s 64.40, rtmpose-t 62.91, '
            'rtmpose-t_weak 26.10.') in lines
    assert '| ClassroomKD | 1.00 | 0.50 | - |' in lines
    assert not any(line.startswith('### LiteHRNet') for line in lines)  # no heatmap runs


def test_benchmark_report_pairs_the_noisy_classroom_with_its_own_aver(monkeypatch):
    import lsp_methods
    monkeypatch.chdir(REPO)
    pck = {'nokd': 40.0, 'aver': 45.0, 'noisy_aver': 43.0, 'noisy_classroomkd': 44.0}
    results = {f'heatmap/{method}/seed0': dict(PCK=value, EPE=30.0, active={})
               for method, value in pck.items()}
    lines = lsp_methods.report(results, [0]).splitlines()
    assert ('| noisy: ClassroomKD | 44.00 ± 0.00 | 44.00 | +4.00 (mean +4.00; 1/1 better) | '
            '+1.00 (mean +1.00; 1/1 better) | - | 30.00 ± 0.00 |') in lines
