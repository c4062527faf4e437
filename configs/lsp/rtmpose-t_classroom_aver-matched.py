# AVER α=λ on rtmpose-t_classroom.py (the method: configs/_base_/methods.py).
_base_ = ['./rtmpose-t_classroom.py', '../_base_/methods.py']
model = dict(_base_.methods.aver_matched,
             distill_weight=float(len(_base_.model.mentors)))
