# Table 2b's AVER baseline: every mentor teaches at one fixed temperature with weight 1/lambda.
# (NOKD is MMPretrain's own mmpretrain::resnet/resnet34_8xb32_in1k.py.)
_base_ = ['./classroom_resnet34_regnety320.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
