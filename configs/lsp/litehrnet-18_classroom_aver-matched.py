# AVER α=λ on litehrnet-18_classroom.py (the method: configs/_base_/methods.py).
_base_ = ['./litehrnet-18_classroom.py', '../_base_/methods.py']
model = dict(_base_.methods.aver_matched,
             distill_weight=float(len(_base_.model.mentors)))
