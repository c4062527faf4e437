# KF off: every mentor teaches; rank weights and adaptive temperatures stay (Table 3b).
_base_ = ['./rtmpose-t_classroom.py']
model = dict(kf=dict(enabled=False))
