# AVER on classroom_resnet34_regnety320.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_resnet34_regnety320.py', '../_base_/methods.py']
model = _base_.methods.aver
