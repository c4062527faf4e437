# Mentoring off on classroom_wrn_16_2_wrn_40_2.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_wrn_16_2_wrn_40_2.py', '../_base_/methods.py']
model = _base_.methods.mentoring_off
