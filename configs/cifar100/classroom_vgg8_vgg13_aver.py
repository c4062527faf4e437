# AVER: every mentor teaches at one fixed temperature with weight 1/lambda.
_base_ = ['./classroom_vgg8_vgg13.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
