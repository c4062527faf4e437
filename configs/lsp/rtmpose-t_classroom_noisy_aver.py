# AVER on rtmpose-t_classroom_noisy.py (the method: configs/_base_/methods.py).
_base_ = ['./rtmpose-t_classroom_noisy.py', '../_base_/methods.py']
model = _base_.methods.aver
