# Table 3b ablation, Mentoring off: the Eq. 6 filter and rank weights, one fixed temperature.
_base_ = ['./rtmpose-t_classroom.py']
model = dict(mentoring=dict(enabled=False))
