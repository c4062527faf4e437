# The CIFAR-10 recipe of the demo and the tests: MMPretrain's CIFAR-10 base (model input
# normalisation, metric), read from the bundled JPEGs (tools/data/prepare_cifar10.py unpacks
# a subset), a short cosine schedule for 2 CPU cores.
_base_ = [
    'mmpretrain::_base_/datasets/cifar10_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['classroomkd_mm'], allow_failed_imports=False)

# LoadImageFromFile decodes JPEGs to BGR, while MMPretrain's CIFAR-10 base expects the RGB
# arrays of its binary dataset (to_rgb=False). Flip to RGB here: the shipped mentors
# (data/cifar10_mentors/) were trained on RGB and lose 10 points on BGR.
data_preprocessor = dict(to_rgb=True)

data_root = 'data/cifar10_demo'
epochs = 12
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='train',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='RandomCrop', crop_size=32, padding=4),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(type='PackInputs'),
        ]))
val_dataloader = dict(
    batch_size=250,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root=data_root,
        data_prefix='test',
        pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=epochs)
train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs)
val_cfg = dict()
test_cfg = dict()
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=epochs, max_keep_ckpts=1),
    weights_only_checkpoints=dict(type='ckd.WeightsOnlyCheckpointHook'))
randomness = dict(seed=0)
log_processor = dict(type='ckd.ClassroomLogProcessor', by_epoch=True)
