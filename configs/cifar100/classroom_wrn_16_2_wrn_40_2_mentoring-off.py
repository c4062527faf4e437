# Table 3b, Mentoring off: the Eq. 6 filter and rank weights, one fixed temperature.
_base_ = ['./classroom_wrn_16_2_wrn_40_2.py']
model = dict(mentoring=dict(enabled=False))
