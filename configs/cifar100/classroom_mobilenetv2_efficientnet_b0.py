# CIFAR-100 classroom of the paper's Appendix A: Table 4a's homogeneous classroom ("Same",
# 67.53), which is also Table 4b's "Average" row (three peers at 50-65 %, two at 65-73 %).
# Student mobilenetv2; teacher EfficientNet-B0 (73.21); five EfficientNet-B0 peers (72.70,
# 66.87, 63.60, 61.03, 60.23): checkpoints of one run of standalone/efficientnet_b0.py picked
# by tools/pick_graded_mentors.py (see configs/cifar100/_base_/mentor_zoo.py).
_base_ = ['./_base_/classroomkd.py']
teacher = {{_base_.cifar100_mentors.efficientnet_b0_teacher}}
model = dict(
    student=dict(type='ckd.build_cifar_classifier', arch='mobilenetv2', num_classes=100),
    mentors=[
        teacher,
        {{_base_.cifar100_mentors.efficientnet_b0_high1}},
        {{_base_.cifar100_mentors.efficientnet_b0_high2}},
        {{_base_.cifar100_mentors.efficientnet_b0_mid1}},
        {{_base_.cifar100_mentors.efficientnet_b0_mid2}},
        {{_base_.cifar100_mentors.efficientnet_b0_mid3}},
    ])
