# Mentoring off on classroom_vgg8_vgg13.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_vgg8_vgg13.py', '../_base_/methods.py']
model = _base_.methods.mentoring_off
