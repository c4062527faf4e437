# LiteHRNet-30 on LSP Extended at 64x64: a heatmap mentor (tools/train_lsp_mentors.py trains
# it). The LSP LiteHRNet-18 recipe with the architecture of MMPose's stock LiteHRNet-30
# (body_2d_keypoint/topdown_heatmap/mpii/td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py):
# 3, 8 and 3 modules in its three stages instead of 2, 4 and 2.
_base_ = ['./litehrnet-18_lsp-64x64.py']
model = dict(backbone=dict(extra=dict(stages_spec=dict(num_modules=(3, 8, 3)))))
