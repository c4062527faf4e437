# Table 2c's AVER baseline on the 210-epoch schedule: every mentor at one fixed
# temperature, weight 1/lambda.
_base_ = ['./rtmpose-t_classroom_210e.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
