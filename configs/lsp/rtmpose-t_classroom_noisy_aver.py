# AVER in the noisy classroom: all three mentors at one fixed temperature, weights 1/3.
_base_ = ['./rtmpose-t_classroom_noisy.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
