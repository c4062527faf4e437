# CIFAR-100 classroom of the paper's Appendix A (Tables 1, 2a, 6).
# Student vgg8; teacher vgg13; peers resnet20, mobilenetv2, shufflev2, resnet56, resnet110.
# Pretrain each mentor first with configs/cifar100/standalone/<arch>.py.
_base_ = ['./_base_/classroomkd.py']
teacher = {{_base_.cifar100_mentors.vgg13}}
model = dict(
    student=dict(type='ckd.build_cifar_classifier', arch='vgg8', num_classes=100),
    mentors=[
        teacher,
        {{_base_.cifar100_mentors.resnet20}},
        {{_base_.cifar100_mentors.mobilenetv2}},
        {{_base_.cifar100_mentors.shufflev2}},
        {{_base_.cifar100_mentors.resnet56}},
        {{_base_.cifar100_mentors.resnet110}},
    ])
