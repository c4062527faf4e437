# DTKD on classroom_resnet18_swin_t.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_resnet18_swin_t.py', '../_base_/methods.py']
model = _base_.methods.dtkd
