# The benchmark classroom (tools/benchmarks/cifar10_methods.py): a ResNet-8 student; a
# ResNet-32 teacher; ResNet-20, ResNet-14, MobileNetV2 and ShuffleNetV2 peers, each first
# trained alone on the same CIFAR-10 subset. The benchmark switches methods with
# --cfg-options-style overrides of `model`.
_base_ = ['./_base_.py']
data_root = 'data/cifar10_bench'
epochs = 12
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
param_scheduler = dict(T_max=epochs)
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
default_hooks = dict(checkpoint=dict(interval=epochs))
model = dict(
    type='ClassroomKDDistiller',
    student=dict(type='CifarClassifier', arch='resnet8', num_classes=10),
    mentors=[
        dict(name=arch,
             model=dict(type='CifarClassifier', arch=arch, num_classes=10),
             checkpoint=f'work_dirs/cifar10_bench/{arch}/epoch_12.pth')
        for arch in ('resnet32', 'resnet20', 'resnet14', 'mobilenetv2', 'shufflev2')
    ],
    kf=dict(enabled=True, ranking='softmax', granularity='batch', aggregate='geometric'),
    mentoring=dict(enabled=True, mode='adaptive', base_temperature=12.0),
    distill_weight=1.0,
    mentor_fast_path=dict(fold_bn=True, channels_last=True))
log_processor = dict(type='ClassroomLogProcessor')
