# Table 3b, KF off: every mentor teaches; rank weights and adaptive temperatures stay.
_base_ = ['./classroom_shufflev2_resnet32x4.py']
model = dict(kf=dict(enabled=False))
