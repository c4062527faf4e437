# Method B on classroom_mobilenetv2_vgg13.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_mobilenetv2_vgg13.py', '../_base_/methods.py']
model = _base_.methods.method_b
