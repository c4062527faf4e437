# CIFAR-100 classroom of the paper's Appendix A (Table 4a (homogeneous classroom)).
# Student mobilenetv2; teacher efficientnet_b0_1; peers efficientnet_b0_2, efficientnet_b0_3, efficientnet_b0_4, efficientnet_b0_5, efficientnet_b0_6.
# Pretrain each mentor first with configs/cifar100/standalone/<arch>.py.
_base_ = ['./_base_/classroomkd.py']
teacher = {{_base_.cifar100_mentors.efficientnet_b0_1}}
model = dict(
    student=dict(type='CifarClassifier', arch='mobilenetv2', num_classes=100),
    mentors=[
        teacher,
        {{_base_.cifar100_mentors.efficientnet_b0_2}},
        {{_base_.cifar100_mentors.efficientnet_b0_3}},
        {{_base_.cifar100_mentors.efficientnet_b0_4}},
        {{_base_.cifar100_mentors.efficientnet_b0_5}},
        {{_base_.cifar100_mentors.efficientnet_b0_6}},
    ])
