# KD on classroom_shufflev1_resnet32x4.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_shufflev1_resnet32x4.py', '../_base_/methods.py']
model = dict(_base_.methods.kd, mentors=[_base_.teacher])
