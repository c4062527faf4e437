# KF off on the 210-epoch schedule: every mentor teaches; rank weights and adaptive
# temperatures stay.
_base_ = ['./rtmpose-t_classroom_210e.py']
model = dict(kf=dict(enabled=False))
