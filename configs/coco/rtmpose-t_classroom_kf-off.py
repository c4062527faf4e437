# Table 3b ablation, KF off: every mentor teaches; rank weights and adaptive temperatures stay.
_base_ = ['./rtmpose-t_classroom.py']
model = dict(kf=dict(enabled=False))
