# AVER on classroom_shufflev1_wrn_40_2.py (the method: configs/_base_/methods.py).
_base_ = ['./classroom_shufflev1_wrn_40_2.py', '../_base_/methods.py']
model = _base_.methods.aver
