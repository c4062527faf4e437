"""experiments.lsp_mentors: the shipped mentors match their README's checksums and load into
both noisy classrooms; their recipes."""
import hashlib
import os.path as osp
import re

from mmengine.registry import MODELS

from classroomkd_mm.engine.config_files import read_config
from classroomkd_mm.experiments.lsp_mentors import MENTORS, mentor_runs, shipped_pck
from runner_utils import REPO

SHIPPED = osp.join(REPO, 'data', 'lsp_mentors')


def test_shipped_mentors_match_their_checksums_and_load(pose_scope):
    readme = open(osp.join(SHIPPED, 'README.md')).read()
    listed = re.findall(r'\| `([\w.-]+\.pth)` \|.*\| `([0-9a-f]{64})` \|', readme)
    assert len(listed) == 6
    for name, digest in listed:
        with open(osp.join(SHIPPED, name), 'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, name
    for config, mentors in (('litehrnet-18_classroom_noisy.py',
                             {'litehrnet-30', 'litehrnet-18', 'litehrnet-18_weak'}),
                            ('rtmpose-t_classroom_noisy.py',
                             {'rtmpose-s', 'rtmpose-t', 'rtmpose-t_weak'})):
        cfg = read_config(osp.join(REPO, 'configs/lsp', config))
        for mentor in cfg.model.mentors:
            mentor.checkpoint = osp.join(REPO, mentor.checkpoint)
        assert set(MODELS.build(cfg.model).mentors) == mentors


def test_shipped_pck_reads_the_readme_table():
    pck = shipped_pck(osp.join(SHIPPED, 'README.md'))
    assert set(pck) == set(MENTORS)
    assert (pck['rtmpose-s'], pck['rtmpose-t'], pck['rtmpose-t_weak']) == (64.40, 62.91, 26.10)


def test_weak_mentors_train_two_epochs_on_the_students_images():
    runs = {run.name: run for run in mentor_runs(['litehrnet-30', 'rtmpose-t_weak'])}
    assert set(runs) == {'litehrnet-30', 'rtmpose-t_weak'}
    weak = runs['rtmpose-t_weak']
    assert weak.config == 'configs/lsp/rtmpose-t_lsp-64x64.py' and weak.method is None
    assert weak.options == {'train_cfg.max_epochs': 2, 'train_cfg.val_interval': 2,
                            'param_scheduler.1.end': 2, 'param_scheduler.1.T_max': 2,
                            'default_hooks.checkpoint.interval': 2, 'randomness.seed': 0,
                            'train_dataloader.dataset.indices': 1000}
    assert 'train_dataloader.dataset.indices' not in runs['litehrnet-30'].options
