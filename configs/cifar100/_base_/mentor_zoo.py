# Every CIFAR-100 mentor of the paper's Appendix A. Each checkpoint is what
# `python tools/train.py configs/cifar100/standalone/<arch>.py` leaves after 240 epochs.
cifar100_mentors = {
    arch: dict(
        name=arch,
        model=dict(type='CifarClassifier', arch=arch, num_classes=100),
        checkpoint=f'work_dirs/{arch}/epoch_240.pth')
    for arch in ('resnet8', 'resnet14', 'resnet20', 'resnet32', 'resnet56', 'resnet110',
                 'resnet32x4', 'wrn_16_2', 'wrn_40_2', 'vgg8', 'vgg13', 'mobilenetv2',
                 'shufflev1', 'shufflev2', 'resnet50')
}
# Swin-T sees 224-pixel inputs: the distiller resizes the student's 32-pixel batch.
cifar100_mentors['swin_t'] = dict(
    name='swin_t',
    model=dict(
        type='ImageClassifier',
        backbone=dict(type='SwinTransformer', arch='tiny', img_size=224, drop_path_rate=0.2),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100, in_channels=768)),
    checkpoint='work_dirs/swin_t/epoch_240.pth',
    input_size=224)
# Table 4a's homogeneous classroom: six EfficientNet-B0 (timm) of different accuracy,
# e.g. checkpoints of standalone/efficientnet_b0.py at different epochs or seeds.
cifar100_mentors.update({
    f'efficientnet_b0_{i}': dict(
        name=f'efficientnet_b0_{i}',
        model=dict(type='TimmClassifier', model_name='efficientnet_b0', num_classes=100),
        checkpoint=f'work_dirs/efficientnet_b0_{i}/epoch_240.pth')
    for i in range(1, 7)
})
