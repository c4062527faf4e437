# Mentoring off on the 210-epoch schedule: the Eq. 6 filter and rank weights, one fixed
# temperature.
_base_ = ['./rtmpose-t_classroom_210e.py']
model = dict(mentoring=dict(enabled=False))
