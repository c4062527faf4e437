"""Drop-in use: a user's own config + custom_imports, run by the train.py shipped in the wheels,
then the exported student in the stock inference APIs."""
import os
import os.path as osp
import subprocess
import sys

import mmpose
import mmpretrain
from mmengine.registry import MODELS, init_default_scope

from classroomkd_mm.engine import read_config
from runner_utils import DATA, REPO, save_zoo_checkpoint

RTMPOSE = 'mmpose::body_2d_keypoint/rtmpose/coco/'


def export(tmp_path):
    """tools/export_student.py on the last checkpoint of the run in tmp_path/work."""
    exported = str(tmp_path / 'student.pth')
    result = subprocess.run([sys.executable, 'tools/export_student.py',
                             str(tmp_path / 'work' / 'epoch_1.pth'), exported],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return exported


def wheel_train_script(package):
    return osp.join(osp.dirname(package.__file__), '.mim', 'tools', 'train.py')


def run_wheel_train(package, config, work_dir, *options):
    command = [sys.executable, wheel_train_script(package), config, '--work-dir', work_dir]
    if options:
        command += ['--cfg-options', *options]
    result = subprocess.run(command, cwd=osp.dirname(config), capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_mmpose_train_script_runs_a_user_classroom(tmp_path):
    init_default_scope('mmpose')
    import classroomkd_mm  # noqa: F401
    mentor = MODELS.build(read_config(RTMPOSE + 'rtmpose-s_8xb256-420e_coco-256x192.py').model)
    checkpoint = save_zoo_checkpoint(mentor, str(tmp_path / 'rtmpose-s.pth'))
    coco = osp.join(DATA, 'coco_tiny')
    config = tmp_path / 'my_rtmpose_classroom.py'
    config.write_text(f"""
_base_ = ['{RTMPOSE}rtmpose-t_8xb256-420e_coco-256x192.py']
custom_imports = dict(imports=['classroomkd_mm'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='ClassroomKDDistiller',
    student={{{{_base_.model}}}},
    mentors=[dict(name='rtmpose-s', config='{RTMPOSE}rtmpose-s_8xb256-420e_coco-256x192.py',
                  checkpoint='{checkpoint}')])
""")
    loader = dict(batch_size=4, num_workers=0, persistent_workers=False)
    options = [f'{split}_dataloader.{key}={value}' for split in ('train', 'val')
               for key, value in loader.items()]
    options += [f'{split}_dataloader.dataset.{key}={value}' for split in ('train', 'val')
                for key, value in (('data_root', coco), ('ann_file', 'test_coco.json'),
                                   ('data_prefix.img', ''))]
    options += [f'val_evaluator.ann_file={coco}/test_coco.json', 'train_cfg.max_epochs=1',
                'train_cfg.val_interval=1', 'model.student.backbone.init_cfg=None',
                'default_hooks.checkpoint.interval=1']
    log = run_wheel_train(mmpose, str(config), str(tmp_path / 'work'), *options)
    assert 'loss_distill' in log and 'coco/AP' in log
    # The exported student is a plain MMPose model for the inference API (its numpy dataset
    # meta loads under torch >= 2.6's weights_only within the plugin's scope).
    from mmpose.apis import inference_topdown, init_model

    from classroomkd_mm.engine import weights_only_checkpoints
    exported = export(tmp_path)
    with weights_only_checkpoints():
        model = init_model(read_config(RTMPOSE + 'rtmpose-t_8xb256-420e_coco-256x192.py'),
                           exported, device='cpu')
    [result] = inference_topdown(model, osp.join(coco, '000000000785.jpg'),
                                 bboxes=[[280, 44, 218 + 280, 346 + 44]])
    assert result.pred_instances.keypoints.shape == (1, 17, 2)


def test_mmpretrain_train_script_runs_a_user_classroom(tmp_path, cifar10_tiny):
    init_default_scope('mmpretrain')
    import classroomkd_mm  # noqa: F401
    teacher = dict(type='ImageClassifier', backbone=dict(type='ResNet_CIFAR', depth=34),
                   neck=dict(type='GlobalAveragePooling'),
                   head=dict(type='LinearClsHead', num_classes=10, in_channels=512))
    checkpoint = save_zoo_checkpoint(MODELS.build(teacher), str(tmp_path / 'resnet34.pth'))
    config = tmp_path / 'my_cifar_classroom.py'
    config.write_text(f"""
_base_ = ['mmpretrain::resnet/resnet18_8xb16_cifar10.py']
custom_imports = dict(imports=['classroomkd_mm'], allow_failed_imports=False)
model = dict(
    _delete_=True,
    type='ClassroomKDDistiller',
    student={{{{_base_.model}}}},
    mentors=[dict(name='resnet34', checkpoint='{checkpoint}', model={teacher!r})])
# the bundled CIFAR-10 sample is JPEG folders, not MMPretrain's binary CIFAR10: BGR, so flip
data_preprocessor = dict(to_rgb=True)
train_dataloader = dict(batch_size=50, num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='CustomDataset', data_root='{cifar10_tiny}', data_prefix='train',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='RandomCrop', crop_size=32, padding=4),
              dict(type='PackInputs')]))
val_dataloader = dict(batch_size=100, num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='CustomDataset', data_root='{cifar10_tiny}', data_prefix='test',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
test_dataloader = val_dataloader
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
""")
    log = run_wheel_train(mmpretrain, str(config), str(tmp_path / 'work'))
    assert 'loss_distill' in log and 'accuracy/top1' in log
    # The exported student is a plain MMPretrain model for the inferencer and tools/test.py.
    from mmpretrain.apis import ImageClassificationInferencer
    exported = export(tmp_path)
    stock = read_config('mmpretrain::resnet/resnet18_8xb16_cifar10.py')
    inferencer = ImageClassificationInferencer(model=stock, pretrained=exported, device='cpu')
    image = osp.join(cifar10_tiny, 'test', 'cat', sorted(os.listdir(
        osp.join(cifar10_tiny, 'test', 'cat')))[0])
    [prediction] = inferencer(image)
    assert 0 <= prediction['pred_label'] < 10
    stock_on_jpegs = tmp_path / 'stock_resnet18.py'  # the stock config, read from JPEG folders
    stock_on_jpegs.write_text(f"""
_base_ = ['mmpretrain::resnet/resnet18_8xb16_cifar10.py']
data_preprocessor = dict(to_rgb=True)
test_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    _delete_=True, type='CustomDataset', data_root='{cifar10_tiny}', data_prefix='test',
    pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
""")
    result = subprocess.run([sys.executable, 'tools/test.py', str(stock_on_jpegs), exported,
                             '--work-dir', str(tmp_path / 'test')],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'accuracy/top1' in result.stdout + result.stderr
