# Table 5: DTKD's per-sample temperatures in place of Eq. 9.
_base_ = ['./classroom_shufflev1_resnet32x4.py']
model = dict(mentoring=dict(mode='dtkd'))
