# CIFAR-100 classroom of the paper's Appendix A (Tables 1, 6).
# Student mobilenetv2; teacher resnet50; peers resnet8, resnet14, resnet20, shufflev1, shufflev2.
# Pretrain each mentor first with configs/cifar100/standalone/<arch>.py.
_base_ = ['./_base_/classroomkd.py']
teacher = {{_base_.cifar100_mentors.resnet50}}
model = dict(
    student=dict(type='ckd.build_cifar_classifier', arch='mobilenetv2', num_classes=100),
    mentors=[
        teacher,
        {{_base_.cifar100_mentors.resnet8}},
        {{_base_.cifar100_mentors.resnet14}},
        {{_base_.cifar100_mentors.resnet20}},
        {{_base_.cifar100_mentors.shufflev1}},
        {{_base_.cifar100_mentors.shufflev2}},
    ])
