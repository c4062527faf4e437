# Table 3b, KF off: every mentor teaches; rank weights and adaptive temperatures stay.
_base_ = ['./classroom_resnet20_resnet56.py']
model = dict(kf=dict(enabled=False))
