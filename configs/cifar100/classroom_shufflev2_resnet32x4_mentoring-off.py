# Table 3b, Mentoring off: the Eq. 6 filter and rank weights, one fixed temperature.
_base_ = ['./classroom_shufflev2_resnet32x4.py']
model = dict(mentoring=dict(enabled=False))
