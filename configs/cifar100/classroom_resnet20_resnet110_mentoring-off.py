# Mentoring off on classroom_resnet20_resnet110.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_resnet20_resnet110.py', '../_base_/methods.py']
model = _base_.methods.mentoring_off
