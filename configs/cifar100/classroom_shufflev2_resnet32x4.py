# CIFAR-100 classroom of the paper's Appendix A (Tables 1, 6).
# Student shufflev2; teacher resnet32x4; peers resnet8, resnet14, resnet20, mobilenetv2, shufflev1.
# Pretrain each mentor first with configs/cifar100/standalone/<arch>.py.
_base_ = ['./_base_/classroomkd.py']
teacher = {{_base_.cifar100_mentors.resnet32x4}}
model = dict(
    student=dict(type='ckd.build_cifar_classifier', arch='shufflev2', num_classes=100),
    mentors=[
        teacher,
        {{_base_.cifar100_mentors.resnet8}},
        {{_base_.cifar100_mentors.resnet14}},
        {{_base_.cifar100_mentors.resnet20}},
        {{_base_.cifar100_mentors.mobilenetv2}},
        {{_base_.cifar100_mentors.shufflev1}},
    ])
