# KD on classroom_wrn_16_2_wrn_40_2.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_wrn_16_2_wrn_40_2.py', '../_base_/methods.py']
model = dict(_base_.methods.kd, mentors=[_base_.teacher])
