# The heatmap classroom on LSP Extended (64x64 crops): a LiteHRNet-18 student; LiteHRNet-30 and
# LiteHRNet-18 mentors trained from scratch on all 9,000 training images for 10 epochs by
# tools/train_lsp_mentors.py and shipped in data/lsp_mentors/ (float16; recipe, PCK and
# checksums in its README). NOKD is litehrnet-18_lsp-64x64.py.
# Heatmap options of the pose adapter (their defaults, decided on this data; docs/results.md):
# heatmaps times 10 before Eq. 7's spatial softmax, as SimCC's beta (1 is Eq. 7 on the raw
# values), and a 0.01 floor on each instance's confidence (a missed instance costs log 0.01
# in the geometric batch mean, not log 1e-12).
_base_ = ['./litehrnet-18_lsp-64x64.py']
custom_imports = dict(imports=['classroomkd_mm'], allow_failed_imports=False)
# the Runner's checkpoints save and resume under torch's weights_only loads (README, Checkpoints)
default_hooks = dict(weights_only_checkpoints=dict(type='ckd.WeightsOnlyCheckpointHook'))

mentor_dir = 'data/lsp_mentors/'
model = dict(
    _delete_=True,
    type='ClassroomKDDistiller',
    student={{_base_.model}},
    mentors=[
        dict(name='litehrnet-30', config='{{fileDirname}}/litehrnet-30_lsp-64x64.py',
             checkpoint=mentor_dir + 'litehrnet-30.pth'),
        dict(name='litehrnet-18', config='{{fileDirname}}/litehrnet-18_lsp-64x64.py',
             checkpoint=mentor_dir + 'litehrnet-18.pth'),
    ],
    kf=dict(enabled=True, ranking='softmax', granularity='batch', aggregate='geometric'),
    mentoring=dict(enabled=True, mode='adaptive', base_temperature=12.0),
    adapter=dict(type='ckd.HeatmapAdapter', heatmap_beta=10.0, heatmap_floor=0.01),
    distill_weight=1.0)
log_processor = dict(type='ckd.ClassroomLogProcessor')
