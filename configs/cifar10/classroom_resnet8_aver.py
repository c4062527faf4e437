# AVER on classroom_resnet8.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_resnet8.py', '../_base_/methods.py']
model = _base_.methods.aver
