# Table 3b, KF off: every mentor teaches; rank weights and adaptive temperatures stay.
_base_ = ['./classroom_resnet18_swin_t.py']
model = dict(kf=dict(enabled=False))
