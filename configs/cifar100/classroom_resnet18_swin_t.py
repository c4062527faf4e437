# CIFAR-100 classroom of the paper's Appendix A (Table 1).
# Student resnet18; teacher swin_t; peers shufflev2, wrn_40_2, vgg13, resnet32x4.
# Pretrain each mentor first with configs/cifar100/standalone/<arch>.py.
_base_ = ['./_base_/classroomkd.py']
teacher = {{_base_.cifar100_mentors.swin_t}}
model = dict(
    student=dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100, in_channels=512)),
    mentors=[
        teacher,
        {{_base_.cifar100_mentors.shufflev2}},
        {{_base_.cifar100_mentors.wrn_40_2}},
        {{_base_.cifar100_mentors.vgg13}},
        {{_base_.cifar100_mentors.resnet32x4}},
    ])
