# DTKD on classroom_resnet20_resnet56.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_resnet20_resnet56.py', '../_base_/methods.py']
model = _base_.methods.dtkd
