"""Turn stock configs into short CPU runs on the bundled data.

Only what this machine demands is changed: SyncBN → BN, no pretrained URLs,
tiny batches, one short epoch, no dataloader workers, local sample data.
"""
import importlib.util
import os.path as osp
import socket
import subprocess
import sys
from typing import Any, Optional

import torch

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = osp.join(REPO, 'data')


def prepare_cifar10(out: str, train_per_class: int, test_per_class: int) -> str:
    """``datasets.cifar10.prepare`` of the shipped archive into ``out``, one process at a time
    (pytest-xdist's workers share the checkout's data/)."""
    from filelock import FileLock
    from classroomkd_mm.datasets.cifar10 import prepare
    with FileLock(out + '.lock'):
        return prepare(out, train_per_class, test_per_class,
                       osp.join(DATA, 'cifar10_jpg.tar.gz'))


def save_zoo_checkpoint(model, path: str, dataset_meta: Optional[dict] = None) -> str:
    """Write ``model``'s weights as a model-zoo style file, ``{'state_dict', 'meta'}``."""
    meta = dict(dataset_meta=dataset_meta) if dataset_meta else {}
    torch.save(dict(state_dict=model.state_dict(), meta=meta), path)
    return path


def run_python(*args, env=None, timeout=900) -> subprocess.CompletedProcess:
    """``python ARGS...`` in the repository root, as a user runs a tool; output captured."""
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def load_tool(relative_path: str):
    """A tool script of the checkout imported as a module (its ``main()`` not run)."""
    spec = importlib.util.spec_from_file_location(osp.basename(relative_path)[:-3],
                                                  osp.join(REPO, relative_path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def write_tiny_classroom(folder, cifar10_root: str) -> str:
    """A config: the demo's CIFAR-10 classroom on ``cifar10_root`` (the test subset) for 2
    epochs, its three mentors seeded random weights saved in ``folder``."""
    from mmengine.registry import MODELS, init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpretrain')
    mentors = []
    for seed, arch in enumerate(('resnet20', 'resnet14', 'mobilenetv2')):
        torch.manual_seed(seed)
        model = MODELS.build(dict(type='ckd.build_cifar_classifier', arch=arch, num_classes=10))
        path = save_zoo_checkpoint(model, osp.join(folder, f'{arch}.pth'))
        mentors.append(dict(name=arch, model=dict(type='ckd.build_cifar_classifier', arch=arch,
                                                   num_classes=10), checkpoint=path))
    config = osp.join(folder, 'classroom.py')
    with open(config, 'w') as f:
        f.write(f"""
_base_ = ['{REPO}/configs/cifar10/classroom_resnet8.py']
model = dict(mentors={mentors!r})
train_dataloader = dict(batch_size=50, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root='{cifar10_root}'))
val_dataloader = dict(batch_size=100, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root='{cifar10_root}'))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=3))
visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
""")
    return config


def walk(obj: Any, fn) -> Any:
    """Apply ``fn`` to every dict inside ``obj`` (depth first), in place."""
    if isinstance(obj, dict):
        for value in obj.values():
            walk(value, fn)
        fn(obj)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            walk(value, fn)
    return obj


def no_sync_bn_no_pretrained(node: dict) -> None:
    if node.get('type') == 'SyncBN':
        node['type'] = 'BN'
    init = node.get('init_cfg')
    if isinstance(init, dict) and init.get('type') == 'Pretrained':
        node['init_cfg'] = None


def short_cpu_run(cfg: Config, work_dir: str, batch_size: int = 4, max_epochs: int = 1,
                  keep_checkpoints: bool = False) -> Config:
    walk(cfg.model, no_sync_bn_no_pretrained)
    cfg.work_dir = work_dir
    cfg.train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(batch_size=batch_size, num_workers=0, persistent_workers=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    if not keep_checkpoints:
        cfg.default_hooks.checkpoint = None
    cfg.pop('auto_scale_lr', None)
    # MMEngine keeps one visualizer per name in the process: give each run its own.
    cfg.visualizer.name = f'visualizer:{work_dir}'
    cfg.randomness = dict(seed=0)
    cfg.env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork'),
                       dist_cfg=dict(backend='gloo'))
    return cfg


def on_coco_tiny(cfg: Config) -> Config:
    root = osp.join(DATA, 'coco_tiny')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].dataset.update(data_root=root, ann_file='test_coco.json',
                                 data_prefix=dict(img=''), bbox_file=None)
    for name in ('val_evaluator', 'test_evaluator'):
        cfg[name].ann_file = osp.join(root, 'test_coco.json')
    return cfg


def on_mpii_tiny(cfg: Config) -> Config:
    root = osp.join(DATA, 'mpii_tiny')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].dataset.update(data_root=root, ann_file='test_mpii.json',
                                 data_prefix=dict(img=''), headbox_file=None)
    for name in ('val_evaluator', 'test_evaluator'):
        cfg[name] = dict(type='PCKAccuracy', norm_item='bbox')  # no headbox file here
    return cfg


def on_cifar10_folder(cfg: Config, root: str) -> Config:
    """MMPretrain's CIFAR configs read the binary set (RGB); the bundled data is JPEG folders,
    which ``LoadImageFromFile`` reads as BGR, so the data preprocessor flips them to RGB."""
    cfg.data_preprocessor.to_rgb = True
    for name, split in (('train_dataloader', 'train'), ('val_dataloader', 'test'),
                        ('test_dataloader', 'test')):
        dataset = cfg[name].dataset
        pipeline = [dict(type='LoadImageFromFile')] + list(dataset.pipeline)
        cfg[name].dataset = dict(type='CustomDataset', data_root=root, data_prefix=split,
                                 pipeline=pipeline)
    return cfg
