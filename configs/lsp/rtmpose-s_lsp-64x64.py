# RTMPose-s on LSP Extended at 64x64: a SimCC mentor (tools/train_lsp_mentors.py trains it).
# The LSP RTMPose-t recipe with the architecture of MMPose's stock rtmpose-s config
# (body_2d_keypoint/rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py): a deeper, wider
# CSPNeXt (its stride-16 features, read as in the t recipe, have 256 channels). EMA, which
# the stock s config adds, is left out.
_base_ = ['./rtmpose-t_lsp-64x64.py']
model = dict(backbone=dict(deepen_factor=0.33, widen_factor=0.5), head=dict(in_channels=256))
