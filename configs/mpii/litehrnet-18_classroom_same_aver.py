# Table 2c's AVER baseline for the "Same" classroom: every mentor at one fixed
# temperature, weight 1/lambda.
_base_ = ['./litehrnet-18_classroom_same.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
