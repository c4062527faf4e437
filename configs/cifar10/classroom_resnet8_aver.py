# AVER on the same classroom: every mentor at one fixed temperature (4), equal weights 1/λ,
# task loss weight 1.
_base_ = ['./classroom_resnet8.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
