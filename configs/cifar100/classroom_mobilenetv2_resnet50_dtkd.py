# DTKD on classroom_mobilenetv2_resnet50.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_mobilenetv2_resnet50.py', '../_base_/methods.py']
model = _base_.methods.dtkd
