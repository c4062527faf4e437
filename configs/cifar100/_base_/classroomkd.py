# ClassroomKD defaults (docs/method.md) on the authors' lr schedule (recipe_240e.py): softmax
# ranks on the geometric batch confidence, adaptive temperatures with tau0 = 12 (the paper's
# Fig. 3 grid search), rank-weighted Eq. 10 with alpha = 1.
_base_ = ['./recipe_240e.py', './mentor_zoo.py']
model = dict(
    type='ClassroomKDDistiller',
    kf=dict(enabled=True, ranking='softmax', granularity='batch', aggregate='geometric'),
    mentoring=dict(enabled=True, mode='adaptive', base_temperature=12.0),
    distill_weight=1.0,
    mentor_weights='rank',
    official_code_parity=False)
# Classroom telemetry in the logs; a one-line classroom summary on the console.
log_processor = dict(type='ckd.ClassroomLogProcessor')
