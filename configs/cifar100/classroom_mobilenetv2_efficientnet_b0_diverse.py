# Table 4b, "Diverse" (68.29): the EfficientNet-B0 teacher with one peer at 20-50 %, two at
# 50-65 % and two at 65-73 %.
_base_ = ['./classroom_mobilenetv2_efficientnet_b0.py']
model = dict(mentors=[
    {{_base_.teacher}},
    {{_base_.cifar100_mentors.efficientnet_b0_low1}},
    {{_base_.cifar100_mentors.efficientnet_b0_mid1}},
    {{_base_.cifar100_mentors.efficientnet_b0_mid2}},
    {{_base_.cifar100_mentors.efficientnet_b0_high1}},
    {{_base_.cifar100_mentors.efficientnet_b0_high2}},
])
