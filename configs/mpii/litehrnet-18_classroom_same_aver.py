# AVER on litehrnet-18_classroom_same.py (the method: configs/_base_/methods.py).
_base_ = ['./litehrnet-18_classroom_same.py', '../_base_/methods.py']
model = _base_.methods.aver
