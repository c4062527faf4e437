# Table 2c's AVER baseline for the "Mixed" classroom: every mentor at one fixed
# temperature, weight 1/lambda.
_base_ = ['./litehrnet-18_classroom_mixed.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
