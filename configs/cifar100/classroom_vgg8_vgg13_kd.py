# KD on classroom_vgg8_vgg13.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_vgg8_vgg13.py', '../_base_/methods.py']
model = dict(_base_.methods.kd, mentors=[_base_.teacher])
