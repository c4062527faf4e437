# CIFAR-100 classroom of the paper's Appendix A (Tables 1, 2a, 6).
# Student resnet20; teacher resnet56; peers resnet8, resnet14, shufflev2, mobilenetv2, shufflev1.
# Pretrain each mentor first with configs/cifar100/standalone/<arch>.py.
_base_ = ['./_base_/classroomkd.py']
teacher = {{_base_.cifar100_mentors.resnet56}}
model = dict(
    student=dict(type='ckd.build_cifar_classifier', arch='resnet20', num_classes=100),
    mentors=[
        teacher,
        {{_base_.cifar100_mentors.resnet8}},
        {{_base_.cifar100_mentors.resnet14}},
        {{_base_.cifar100_mentors.shufflev2}},
        {{_base_.cifar100_mentors.mobilenetv2}},
        {{_base_.cifar100_mentors.shufflev1}},
    ])
