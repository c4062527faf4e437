# Table 3b, KF off: every mentor teaches; rank weights and adaptive temperatures stay.
_base_ = ['./classroom_shufflev1_wrn_40_2.py']
model = dict(kf=dict(enabled=False))
