"""tools/gpu_check.sh, the one-call CUDA check (issue 22), dry-run on the CPU: every stage
runs at tiny sizes and writes its figures as JSON and as markdown rows, so that a broken
script is found here before it costs device time."""
import gzip
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from runner_utils import REPO


def load_gpu_check():
    spec = importlib.util.spec_from_file_location('gpu_check',
                                                  osp.join(REPO, 'tools', 'gpu_check.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def dry_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp('gpu_check')
    out, work = folder / 'out', folder / 'work'
    env = dict(os.environ, PYTHON=sys.executable)
    env.pop('OUT', None)
    result = subprocess.run(['bash', 'tools/gpu_check.sh', '--dry-run', '--out', str(out),
                             '--work', str(work)], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, (result.stdout[-4000:] + result.stderr[-2000:]
                                    + ''.join(open(out / 'gpu_check.log').readlines()[-60:]))
    report = json.loads((out / 'gpu_check.json').read_text())
    return out, report, (out / 'gpu_check.md').read_text(), result.stdout


def test_every_stage_reports_and_the_output_fits_what_the_device_returns(dry_run):
    out, report, _, stdout = dry_run
    meta = report['meta']
    assert meta['dry_run'] is True and meta['torch'] and 'gpu' in meta
    assert list(report['stages']) == ['install', 'tests', 'step', 'pose']
    assert report['stages']['install']['status'] == 'skipped'
    for name in ('tests', 'step', 'pose'):
        stage = report['stages'][name]
        assert stage['status'] == 'ok', (name, stage)
        assert 0 < stage['seconds'] <= stage['budget_s'], (name, stage)
    assert meta['total_s'] <= report['meta']['budget_s']
    # the device returns at most 8 files, 2 folders deep, named in [A-Za-z0-9._-]
    files = [osp.relpath(osp.join(root, name), out) for root, _, names in os.walk(out)
             for name in names]
    assert sorted(files) == ['gpu_check.json', 'gpu_check.log', 'gpu_check.md',
                             'step_profile.json.gz']
    assert all(re.fullmatch(r'[A-Za-z0-9._-]+', name) for name in files)
    assert '| stage | status | seconds | note |' in stdout  # the markdown reaches the log tail


def test_the_cuda_only_tests_are_collected_and_skip_on_the_cpu(dry_run):
    _, report, markdown, _ = dry_run
    tests = report['stages']['tests']
    ids = [t['id'] for t in tests['tests']]
    assert tests['skipped'] == len(ids) and tests['failed'] == tests['error'] == 0
    assert any('test_fast_path_cuda_graph' in i and 'replay_equals_the_eager' in i for i in ids)
    assert any('test_pose_loss_never_syncs_on_cuda' in i for i in ids)
    assert any('test_classification_loss_never_syncs_on_cuda' in i for i in ids)
    assert not any('makes_every_tensor' in i for i in ids)  # CPU tests: not this stage's
    assert f"{len(ids)} skipped" in markdown


def test_step_benchmark_figures_targets_and_profile(dry_run):
    out, report, markdown, _ = dry_run
    step = report['stages']['step']
    assert step['device'].startswith('CPU')
    for name in ('student alone', 'AVER', 'ClassroomKD', 'ClassroomKD, fast path fp32',
                 "authors'-style loop"):
        assert step['variants'][name]['step_ms'] > 0, name
    # the dry run's classroom (resnet8, resnet14): one host read per model in the loop
    assert step['variants']["authors'-style loop"]['host_syncs'] == 3
    targets = step['targets']
    assert set(targets) == {'graph_vs_authors_loop', 'classroomkd_vs_aver_graph',
                            'classroomkd_vs_aver', 'host_syncs', 'stretch_vs_student'}
    assert targets['host_syncs'] == dict(row='host syncs in every ClassroomKD variant',
                                         limit=0, measured=0, met=True)
    for key, limit in (('graph_vs_authors_loop', 0.4), ('classroomkd_vs_aver_graph', 1.02),
                       ('stretch_vs_student', 1.5)):  # CUDA graphs: measured on CUDA only
        assert targets[key]['limit'] == limit
        assert targets[key]['measured'] is None and targets[key]['met'] is None
        assert targets[key]['note'] == 'CUDA only'
    assert isinstance(targets['classroomkd_vs_aver']['met'], bool)
    assert step['all_met'] is None  # nothing is judged on the CPU
    profile = step['profile']
    assert profile['rc'] == 0 and profile['trace'] == 'step_profile.json.gz'
    trace = json.loads(gzip.decompress((out / 'step_profile.json.gz').read_bytes()))
    assert any(e.get('name') == 'classroomkd_step' for e in trace['traceEvents'])
    assert profile['top_ops'] and all(op['self_cpu_ms'] >= 0 for op in profile['top_ops'])
    assert '| ClassroomKD | ' in markdown and '| target (issues 12, 22) |' in markdown
    assert "| ClassroomKD fast path fp32 + CUDA graph / authors'-style loop | - | <= 0.4 | " \
           'CUDA only |' in markdown


def test_pose_runs_train_through_the_real_tools(dry_run):
    _, report, markdown, _ = dry_run
    pose = report['stages']['pose']
    assert pose['data']['images'] == dict(train=48, test=12)
    runs = {(r['classroom'], r['method'], r['mode']): r for r in pose['runs']}
    assert len(runs) == 12  # both classrooms: NOKD x 2, ClassroomKD x 4 launch modes
    done = {key: run for key, run in runs.items() if run['status'] != 'not run in the dry run'}
    assert set(done) == {('heatmap', 'ClassroomKD', 'fast path + CUDA graph'),
                         ('simcc', 'NOKD', 'fp32'), ('simcc', 'ClassroomKD', 'dist')}
    for key, run in done.items():
        assert run['status'] == 'ok' and run['rc'] == 0, run
        assert run['iterations'] == 6 and run['it_per_s'] > 0 and run['last_loss'] > 0, key
    graphed = done[('heatmap', 'ClassroomKD', 'fast path + CUDA graph')]
    assert 'model.mentor_fast_path.cuda_graph=True' in graphed['command']
    assert set(graphed['active_rate']) == {'litehrnet-30', 'litehrnet-18'}
    # on the CPU each mentor passes its probe and says why it has no CUDA graph
    assert len(graphed['fast_path']) == 2
    assert all('passes its probe' in line and 'no CUDA graph (the batch is on the cpu)' in line
               for line in graphed['fast_path'])
    dist = done[('simcc', 'ClassroomKD', 'dist')]
    assert dist['command'].startswith(
        'bash tools/dist_train.sh configs/lsp/rtmpose-t_classroom.py 1 ')
    assert dist['vs_nokd']['nokd'] == 'NOKD fp32' and dist['vs_nokd']['ratio'] > 0
    # the runs a dry run leaves out are planned all the same, with their commands
    amp = runs[('heatmap', 'ClassroomKD', 'amp')]
    assert amp['command'].startswith('python tools/train.py configs/lsp/litehrnet-18_classroom.py ')
    assert '--amp' in amp['command']
    assert '| simcc (RTMPose-t) | ClassroomKD | tools/dist_train.sh CONFIG 1 | 6 |' in markdown


def test_the_device_commands_use_nccl_workers_and_a_few_hundred_iterations(tmp_path):
    gpu_check = load_gpu_check()
    ctx = gpu_check.Context(gpu_check.parse_args(['--work', str(tmp_path), '--out',
                                                  str(tmp_path / 'out'), '--only', 'pose']))
    assert ctx.device == 'cuda' and ctx.budget_total <= 480  # 8 minutes after the start
    commands = {mode: gpu_check.pose_command(ctx, 'simcc', 'ClassroomKD', mode,
                                             str(tmp_path / mode), str(tmp_path / 'lspet'))
                for mode in ('fp32', 'dist', 'amp', 'fast path + CUDA graph')}
    cmd, env, epochs = commands['dist']
    assert cmd[:4] == ['bash', 'tools/dist_train.sh', 'configs/lsp/rtmpose-t_classroom.py', '1']
    assert 'env_cfg.dist_cfg.backend=nccl' in cmd and env['PYTHON'] == sys.executable
    assert 'train_dataloader.num_workers=4' in cmd
    cmd, _, epochs = commands['fp32']
    assert epochs * 31 >= 150  # 31 iterations of batch 32 an epoch of the 1,000 images
    assert f'train_cfg.max_epochs={epochs}' in cmd and 'nccl' not in ' '.join(cmd)
    assert '--amp' in commands['amp'][0]
    assert 'model.mentor_fast_path.cuda_graph=True' in commands['fast path + CUDA graph'][0]


def test_what_a_device_call_carries_fits_its_limit_once_slimmed():
    """The tracked data the check does not read is what --slim takes out of the call."""
    gpu_check = load_gpu_check()
    sizes = gpu_check.travel_report()
    slim = set(gpu_check.slim_paths())
    assert 'data/lspet_128.tar.gz' in slim and 'data/cifar10_jpg.tar.gz' in slim
    assert not any(path.startswith('data/lsp_mentors/') and 'weak' not in path
                   for path in slim)  # the classrooms' mentors travel
    # what travels after --slim leaves room for the carry folder (wheels, sdists, LSP subset)
    assert sizes['tree_slimmed'] + 16 * 2 ** 20 <= sizes['limit']
