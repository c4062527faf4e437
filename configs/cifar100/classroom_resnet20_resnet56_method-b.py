# Table 6, Method B: uniform ranks 0.1, 0.2, ... (Eqs. 11-12).
_base_ = ['./classroom_resnet20_resnet56.py']
model = dict(kf=dict(ranking='uniform'))
