# A ResNet-8 student and the four strongest shipped CIFAR-10 mentors (data/cifar10_mentors/,
# trained on all 50,000 training images): a ResNet-56 teacher, ShuffleNetV2, ResNet-32 and
# ResNet-20 peers (88.5, 88.5, 87.8, 86.8 % top-1), on the mentor fast path.
_base_ = ['./_base_.py']
model = dict(
    type='ClassroomKDDistiller',
    student=dict(type='ckd.build_cifar_classifier', arch='resnet8', num_classes=10),
    mentors=[
        dict(name=arch,
             model=dict(type='ckd.build_cifar_classifier', arch=arch, num_classes=10),
             checkpoint=f'data/cifar10_mentors/{arch}.pth')
        for arch in ('resnet56', 'shufflev2', 'resnet32', 'resnet20')
    ],
    kf=dict(enabled=True, ranking='softmax', granularity='batch', aggregate='geometric'),
    mentoring=dict(enabled=True, mode='adaptive', base_temperature=12.0),
    distill_weight=1.0,
    mentor_fast_path=dict(fold_bn=True, channels_last=True))
