# KD (Hinton et al.): the teacher alone, one fixed temperature, task weight 1.
_base_ = ['./classroom_mobilenetv2_vgg13.py']
model = dict(
    mentors=[{{_base_.teacher}}],
    kf=dict(enabled=False),
    mentoring=dict(enabled=False),
    rank_weights=False)
