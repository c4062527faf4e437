# AVER on rtmpose-t_classroom_210e.py (the method: configs/_base_/methods.py).
_base_ = ['./rtmpose-t_classroom_210e.py', '../_base_/methods.py']
model = _base_.methods.aver
