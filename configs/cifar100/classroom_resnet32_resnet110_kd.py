# KD on classroom_resnet32_resnet110.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_resnet32_resnet110.py', '../_base_/methods.py']
model = dict(_base_.methods.kd, mentors=[_base_.teacher])
