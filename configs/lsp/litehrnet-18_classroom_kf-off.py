# KF off: every mentor teaches; rank weights and adaptive temperatures stay (Table 3b).
_base_ = ['./litehrnet-18_classroom.py']
model = dict(kf=dict(enabled=False))
