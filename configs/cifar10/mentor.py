# The recipe of the shipped CIFAR-10 mentors (data/cifar10_mentors/README.md), trained by
# tools/train_cifar10_mentor.py (which sets the architecture and the mixed precision): all
# 50,000 training images decoded into memory, a random 32x32 crop of the image padded by 4
# pixels (zero padding after normalisation) and a random horizontal flip on the device,
# 30 epochs of batch 256, SGD with Nesterov momentum 0.9 and weight decay 5e-4, a one-cycle
# learning rate peaking at 0.2 after 15 % of the steps, bfloat16 autocast, seed 0.
# `train_dataloader.dataset.wrong_label_fraction` trains a mentor on partly wrong labels.
_base_ = ['./_base_.py']
custom_imports = dict(imports=['classroomkd_mm', 'classroomkd_mm.datasets.cifar10'],
                      allow_failed_imports=False)
epochs = 30
model = dict(type='ckd.build_cifar_classifier', arch='resnet20', num_classes=10)
data_preprocessor = dict(
    batch_augments=dict(augments=dict(type='ckd.RandomCropFlip', padding=4, pad_value=0.0)))
# In memory: no worker processes to feed it (persistent workers take 5 s to shut down).
train_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    collate_fn=dict(type='default_collate'),
    dataset=dict(_delete_=True, type='ckd.CIFAR10InMemory', split='train',
                 wrong_label_fraction=0.0, seed=0, pipeline=[dict(type='PackInputs')]))
val_dataloader = dict(
    batch_size=1000,
    num_workers=0,
    persistent_workers=False,
    collate_fn=dict(type='default_collate'),
    dataset=dict(_delete_=True, type='ckd.CIFAR10InMemory', split='test',
                 pipeline=[dict(type='PackInputs')]))
test_dataloader = val_dataloader
# float32 here, so that the config trains on any machine; the recipe's bfloat16 autocast is
# set by tools/train_cifar10_mentor.py (MMEngine's AmpOptimWrapper with dtype='bfloat16' on
# CUDA, ckd.CPUAmpOptimWrapper on the CPU)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, nesterov=True, weight_decay=5e-4))
param_scheduler = dict(_delete_=True, type='OneCycleLR', eta_max=0.2, total_steps=epochs,
                       pct_start=0.15, by_epoch=True, convert_to_iter_based=True)
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
default_hooks = dict(checkpoint=dict(interval=epochs, max_keep_ckpts=1))
randomness = dict(seed=0)
