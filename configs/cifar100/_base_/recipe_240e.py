# The paper's CIFAR-100 recipe for its classrooms (docs/method.md): 240 epochs, batch 64 on one
# GPU, SGD with momentum 0.9, lr 0.05 and weight decay 5e-4. Data: MMPretrain's CIFAR-100
# base.
#
# Learning rate: the authors' schedule (the paper: "0.05 decayed by 10% every 30 epochs,
# and a 120-epoch warm-up phase"): a linear ramp from 0.05 down to 0.01 over epochs 0-120,
# then 0.01, 1e-3, 1e-4 and 1e-5 from epochs 120, 150, 180 and 210. MMEngine's LinearLR
# reaches `end_factor` at epoch `end - 1`, so `end=121` puts 0.01 at epoch 120:
# lr(e) = 0.05 - 0.04 * e / 120 for e <= 120. The CRD schedule (0.05 until epoch 150, then
# x0.1 at 150, 180 and 210) is recipe_240e_crd.py; on any config built on this file,
# `--cfg-options param_scheduler.0.end_factor=1.0` gives it too.
_base_ = [
    'mmpretrain::_base_/datasets/cifar100_bs16.py',
    'mmpretrain::_base_/default_runtime.py',
]
custom_imports = dict(imports=['classroomkd_mm'], allow_failed_imports=False)

train_dataloader = dict(batch_size=64)
val_dataloader = dict(batch_size=64)
test_dataloader = dict(batch_size=64)

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, end_factor=0.2, begin=0, end=121, by_epoch=True),
    dict(type='MultiStepLR', milestones=[150, 180, 210], gamma=0.1, by_epoch=True),
]
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()
# One GPU, batch 64. On N GPUs the global batch is 64 N: pass --auto-scale-lr to scale the
# learning rate linearly (see docs/reproduction.md, "Eight GPUs").
auto_scale_lr = dict(base_batch_size=64)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2),
                     weights_only_checkpoints=dict(type='ckd.WeightsOnlyCheckpointHook'))
