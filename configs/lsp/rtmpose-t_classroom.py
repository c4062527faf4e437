# The SimCC classroom on LSP Extended (64x64 crops): an RTMPose-t student; RTMPose-s and
# RTMPose-t mentors trained from scratch on all 9,000 training images for 10 epochs by
# tools/train_lsp_mentors.py and shipped in data/lsp_mentors/ (float16; recipe, PCK and
# checksums in its README). NOKD is rtmpose-t_lsp-64x64.py.
_base_ = ['./rtmpose-t_lsp-64x64.py']
custom_imports = dict(imports=['classroomkd_mm'], allow_failed_imports=False)
# the Runner's checkpoints save and resume under torch's weights_only loads (README, Checkpoints)
default_hooks = dict(weights_only_checkpoints=dict(type='ckd.WeightsOnlyCheckpointHook'))

mentor_dir = 'data/lsp_mentors/'
model = dict(
    _delete_=True,
    type='ClassroomKDDistiller',
    student={{_base_.model}},
    mentors=[
        dict(name='rtmpose-s', config='{{fileDirname}}/rtmpose-s_lsp-64x64.py',
             checkpoint=mentor_dir + 'rtmpose-s.pth'),
        dict(name='rtmpose-t', config='{{fileDirname}}/rtmpose-t_lsp-64x64.py',
             checkpoint=mentor_dir + 'rtmpose-t.pth'),
    ],
    kf=dict(enabled=True, ranking='softmax', granularity='batch', aggregate='geometric'),
    mentoring=dict(enabled=True, mode='adaptive', base_temperature=12.0),
    distill_weight=1.0)
log_processor = dict(type='ckd.ClassroomLogProcessor')
