# Table 5: DTKD's per-sample temperatures in place of Eq. 9.
_base_ = ['./classroom_wrn_16_2_wrn_40_2.py']
model = dict(mentoring=dict(mode='dtkd'))
