# KF off + Mentoring off on classroom_resnet32_resnet110.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_resnet32_resnet110.py', '../_base_/methods.py']
model = _base_.methods.kf_off_mentoring_off
