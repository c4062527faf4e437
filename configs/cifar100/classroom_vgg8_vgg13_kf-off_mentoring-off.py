# Table 3, KF off + Mentoring off: every mentor teaches at one fixed temperature, with
# Eq. 10's rank weights kept. Not AVER (equal weights): on the MobileNetV2 / VGG13 classroom
# the paper reports 65.96 for this and 62.94 for AVER.
_base_ = ['./classroom_vgg8_vgg13.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False))
