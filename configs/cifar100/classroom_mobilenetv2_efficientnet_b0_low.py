# Table 4b, "Low" (67.77): the EfficientNet-B0 teacher with three peers at 20-50 % and two
# at 50-65 %.
_base_ = ['./classroom_mobilenetv2_efficientnet_b0.py']
model = dict(mentors=[
    {{_base_.teacher}},
    {{_base_.cifar100_mentors.efficientnet_b0_low1}},
    {{_base_.cifar100_mentors.efficientnet_b0_low2}},
    {{_base_.cifar100_mentors.efficientnet_b0_low3}},
    {{_base_.cifar100_mentors.efficientnet_b0_mid1}},
    {{_base_.cifar100_mentors.efficientnet_b0_mid2}},
])
