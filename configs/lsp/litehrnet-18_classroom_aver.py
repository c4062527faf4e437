# AVER: every mentor at one fixed temperature (4), equal weights 1/lambda, task weight 1.
_base_ = ['./litehrnet-18_classroom.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
