# KF off on litehrnet-18_classroom.py (the method: configs/_base_/methods.py).
_base_ = ['./litehrnet-18_classroom.py', '../_base_/methods.py']
model = _base_.methods.kf_off
