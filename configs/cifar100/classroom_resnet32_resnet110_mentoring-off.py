# Table 3b, Mentoring off: the Eq. 6 filter and rank weights, one fixed temperature.
_base_ = ['./classroom_resnet32_resnet110.py']
model = dict(mentoring=dict(enabled=False))
