# DTKD on classroom_shufflev2_resnet32x4.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_shufflev2_resnet32x4.py', '../_base_/methods.py']
model = _base_.methods.dtkd
