# CIFAR-100 classroom of the paper's Appendix A (Tables 2a, 6).
# Student wrn_16_2; teacher wrn_40_2; peers resnet20, mobilenetv2, shufflev2, resnet56, vgg13.
# Pretrain each mentor first with configs/cifar100/standalone/<arch>.py.
_base_ = ['./_base_/classroomkd.py']
teacher = {{_base_.cifar100_mentors.wrn_40_2}}
model = dict(
    student=dict(type='ckd.build_cifar_classifier', arch='wrn_16_2', num_classes=100),
    mentors=[
        teacher,
        {{_base_.cifar100_mentors.resnet20}},
        {{_base_.cifar100_mentors.mobilenetv2}},
        {{_base_.cifar100_mentors.shufflev2}},
        {{_base_.cifar100_mentors.resnet56}},
        {{_base_.cifar100_mentors.vgg13}},
    ])
