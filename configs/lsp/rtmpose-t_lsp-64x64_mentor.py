# The RTMPose-t mentor: the student's own architecture and recipe, trained longer on all 9,000
# training images by tools/train_lsp_mentors.py. Its test_cfg names output_heatmaps=False, the
# default, so nothing changes; it is there only because the current build check refuses a
# mentor whose model config equals the student's (same-architecture mentors are legitimate:
# once the distiller accepts them, classrooms can name rtmpose-t_lsp-64x64.py directly).
_base_ = ['./rtmpose-t_lsp-64x64.py']
model = dict(test_cfg=dict(output_heatmaps=False))
