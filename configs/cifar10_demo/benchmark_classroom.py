# The benchmark classroom (tools/benchmarks/cifar10_methods.py): the demo's ResNet-8 student
# with a ResNet-32 teacher and ResNet-20, ResNet-14, MobileNetV2 and ShuffleNetV2 peers, each
# first trained alone on the same CIFAR-10 subset; mentors on the fast path. The benchmark
# switches methods by overriding keys of `model`.
_base_ = ['./classroom_resnet8.py']
data_root = 'data/cifar10_bench'
epochs = 12
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
param_scheduler = dict(T_max=epochs)
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
default_hooks = dict(checkpoint=dict(interval=epochs))
model = dict(
    mentors=[
        dict(name=arch,
             model=dict(type='CifarClassifier', arch=arch, num_classes=10),
             checkpoint=f'work_dirs/cifar10_bench/{arch}/epoch_12.pth')
        for arch in ('resnet32', 'resnet20', 'resnet14', 'mobilenetv2', 'shufflev2')
    ],
    mentor_fast_path=dict(fold_bn=True, channels_last=True))
log_processor = dict(type='ClassroomLogProcessor')
