# Every method the paper and the benchmarks compare, defined once, as the change it makes to a
# classroom's `model` (a ClassroomKDDistiller config, merged as MMEngine merges a config into
# its base: dicts key by key, everything else replaced).
#
# A variant config, `<classroom>_<key with - for _>.py` (classroom_x_kf-off.py), takes its
# classroom and this file as bases and merges one method:
#     _base_ = ['./classroom_resnet20_resnet56.py', '../_base_/methods.py']
#     model = _base_.methods.aver
# and `classroomkd_mm.experiments.methods.method_config(cfg, 'AVER')` does the same to any
# classroom config (the benchmarks call it). The merged config keeps a top-level `methods`
# key: MMEngine's Runner and tools/train.py read only the keys they know and ignore it.
#
# Three methods change the classroom's shape, which a merge cannot say. A placeholder marks
# it; a variant config replaces it with its classroom's value, and method_config fills it in:
#   'student alone'   NOKD trains the classroom's `model.student` alone;
#   'teacher alone'   KD keeps only the classroom's first mentor, the teacher;
#   'mentor count'    AVER α=λ and CA-MKD (logits) α=λ weigh distillation by λ, the
#                     classroom's number of mentors.
# AVER: every mentor at one fixed temperature (`mentoring.fixed_temperature`, 4), equal weights
# 1/λ (no Eq. 10 rank weights), task loss weight 1. (MMEngine drops names starting with `__`
# from the config.)
__aver = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), mentor_weights='equal')
# CA-MKD (logits): AVER with CA-MKD's per-sample confidence weights in place of 1/λ; they sum
# to 1, so its total distillation weight is AVER's (docs/method.md says why not the authors'
# code's 1/λ). CA-MKD's intermediate-feature term is left out.
__ca_mkd = dict(__aver, mentor_weights='ca_mkd')
methods = dict(
    # the student alone: no mentor, no distillation
    nokd='student alone',
    # KD (Hinton et al.): the teacher alone, as AVER teaches
    kd=dict(__aver, mentors='teacher alone'),
    aver=__aver,
    # AVER with distill_weight alpha = lambda: about ClassroomKD's total distillation weight
    # (its rank weights sum to about lambda)
    aver_matched=dict(__aver, distill_weight='mentor count'),
    ca_mkd=__ca_mkd,
    # CA-MKD (logits) with alpha = lambda, weight-matched to AVER alpha=lambda and ClassroomKD
    ca_mkd_matched=dict(__ca_mkd, distill_weight='mentor count'),
    # the classroom as it is
    classroomkd=dict(),
    # Table 3b, KF off: every mentor teaches; rank weights and adaptive temperatures stay
    kf_off=dict(kf=dict(enabled=False)),
    # Table 3b, Mentoring off: the Eq. 6 filter and rank weights, one fixed temperature
    mentoring_off=dict(mentoring=dict(enabled=False)),
    # Table 3, KF off + Mentoring off: every mentor at one fixed temperature, Eq. 10's rank
    # weights kept (not AVER: on the MobileNetV2 / VGG13 classroom the paper reports 65.96 for
    # this and 62.94 for AVER)
    kf_off_mentoring_off=dict(kf=dict(enabled=False), mentoring=dict(enabled=False)),
    # Table 6, Method B: uniform ranks 0.1, 0.2, ... (Eqs. 11-12)
    method_b=dict(kf=dict(ranking='uniform')),
    # Knowledge Filtering per sample instead of per batch
    per_sample=dict(kf=dict(granularity='sample')),
    # Table 5: DTKD's per-sample temperatures in place of Eq. 9. tau = 4 is DTKD's own CIFAR
    # default; Table 5's rows run tau = 8 and 12
    # (--cfg-options model.mentoring.base_temperature=8.0)
    dtkd=dict(mentoring=dict(mode='dtkd', base_temperature=4.0)),
    # the four places where the authors' code departs from the paper (docs/method.md,
    # "Official-code parity mode")
    parity=dict(official_code_parity=True),
)
