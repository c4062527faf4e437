"""Every config under configs/ trains one iteration through ``tools/train.py``'s own code
path (``classroomkd_mm.engine.train``) and MMEngine's Runner, on data the repository ships.

Only what this machine demands changes: the data (CIFAR-10 JPEGs for the CIFAR and ImageNet
configs, the COCO and MPII samples, the LSP slice), two samples in one batch, no workers, no
validation or checkpoint, SyncBN as BN, and no download: a pretrained backbone or a mentor
checkpoint given by URL or by a mentor run's work dir is left out (mentors then teach
untrained, with a warning), while the mentor files the repository ships are read.
"""
import functools
import glob
import os.path as osp

import pytest
from mmengine.config import config as config_module
from mmengine.config import utils as config_utils
from mmengine.runner import Runner

from runner_utils import DATA, REPO, no_sync_bn_no_pretrained, on_coco_tiny, on_mpii_tiny, walk

CONFIGS = sorted(osp.relpath(p, REPO)
                 for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in osp.relpath(p, REPO))
SAMPLES = 2
pytestmark = pytest.mark.usefixtures('frozen_libraries', 'packages_read_once')


@pytest.fixture(scope='module')
def packages_read_once():
    """MMEngine resolves each ``mmpose::``/``mmpretrain::`` path by asking whether the package
    is installed and parsing all of its model-index YAML files (about 0.2 s a path, several
    paths a config): both are read once for the module's tests (the files are only read)."""
    with pytest.MonkeyPatch.context() as patch:
        for module, name in ((config_utils, 'load'), (config_module, 'is_installed')):
            patch.setattr(module, name, functools.lru_cache(maxsize=None)(getattr(module, name)))
        yield


def on_jpeg_folder(cfg, root: str):
    """CIFAR and ImageNet datasets read from a folder of JPEGs (labels 0-9)."""
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[name].dataset
        pipeline = list(dataset.pipeline)
        if pipeline[0]['type'] != 'LoadImageFromFile':
            pipeline.insert(0, dict(type='LoadImageFromFile'))
        cfg[name].dataset = dict(type='CustomDataset', data_root=root, data_prefix='train',
                                 pipeline=pipeline)
    return cfg


def on_lsp_slice(cfg, annotations: dict):
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].dataset.update(data_root=osp.join(DATA, 'lsp_slice'),
                                 ann_file=annotations['train'])
    return cfg


def one_iteration(cfg, work_dir: str):
    """Train on ``SAMPLES`` samples in one batch: one iteration of the config's own loop."""
    walk(cfg.model, no_sync_bn_no_pretrained)
    for mentor in cfg.model.get('mentors', []):
        # shipped files (data/) are read; a URL or a run's own output (work_dirs/) is not here
        if mentor.get('checkpoint') and not mentor.checkpoint.startswith('data/'):
            mentor.checkpoint = None
    cfg.train_dataloader.update(batch_size=SAMPLES, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.indices = SAMPLES
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=2)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.visualizer.name = f'visualizer:{work_dir}'  # one visualizer per run in this process
    return cfg


@pytest.mark.parametrize('config', CONFIGS)
def test_config_trains_one_iteration(config, tmp_path, monkeypatch, cifar10_tiny, request):
    from classroomkd_mm.engine.train import train_config, train_parser
    # The Runner logs and dumps its config four times, each formatted by yapf (about 1 s,
    # most of a run here): the text is left unformatted, which changes nothing that trains.
    monkeypatch.setattr(config_module, 'FormatCode', lambda text, **kwargs: (text, False))
    monkeypatch.chdir(REPO)  # shipped mentor files are named relative to the checkout
    cfg = train_config(train_parser().parse_args([config, '--work-dir', str(tmp_path)]))
    folder = config.split('/')[1]
    if folder in ('cifar10', 'cifar100', 'imagenet'):
        on_jpeg_folder(cfg, cifar10_tiny)
    elif folder == 'coco':
        on_coco_tiny(cfg)
    elif folder == 'mpii':
        on_mpii_tiny(cfg)
    else:
        assert folder == 'lsp', f'{config}: no shipped data named for configs/{folder}/'
        on_lsp_slice(cfg, request.getfixturevalue('lsp_slice_annotations'))
    runner = Runner.from_cfg(one_iteration(cfg, str(tmp_path)))
    runner.train()
    assert runner.iter == 1
    losses = runner.message_hub.log_scalars
    assert 'train/loss' in losses
    if cfg.model.type == 'ClassroomKDDistiller':
        assert 'train/loss_distill' in losses
