# AVER: every mentor teaches at one fixed temperature with weight 1/lambda.
_base_ = ['./classroom_shufflev1_wrn_40_2.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
