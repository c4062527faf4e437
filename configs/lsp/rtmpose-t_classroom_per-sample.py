# per-sample KF on rtmpose-t_classroom.py (the method: configs/_base_/methods.py).
_base_ = ['./rtmpose-t_classroom.py', '../_base_/methods.py']
model = _base_.methods.per_sample
