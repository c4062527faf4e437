# LiteHRNet-18 (heatmap head) on LSP Extended at 64x64, the heatmap classroom's student alone
# (NOKD). MMPose's stock MPII LiteHRNet-18 with only what the data and a 2-core CPU demand: the
# 14 LSP joints, 64x64 crops with 16x16 heatmaps (Gaussian sigma 1 cell), a short Adam + cosine
# schedule, the stock augmentation with milder rotation, PCK@0.2 (bbox-normalised) and EPE.
# Data: tools/data/prepare_lsp.py unpacks and converts LSP Extended into data/lspet/.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_litehrnet-18_8xb64-210e_mpii-256x256.py']

input_size = (64, 64)
epochs = 10
base_lr = 2e-3
codec = dict(type='MSRAHeatmap', input_size=input_size, heatmap_size=(16, 16), sigma=1)
model = dict(head=dict(out_channels=14, decoder=codec))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0., scale_factor=[0.75, 1.25],
         rotate_factor=30),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs'),
]
data_root = 'data/lspet/'
metainfo = dict(from_file='{{fileDirname}}/../_base_/datasets/lsp.py')
train_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=True,
    dataset=dict(_delete_=True, type='CocoDataset', data_root=data_root, metainfo=metainfo,
                 ann_file='annotations/lsp_train.json', data_prefix=dict(img='images/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128, num_workers=2, persistent_workers=True,
    dataset=dict(_delete_=True, type='CocoDataset', data_root=data_root, metainfo=metainfo,
                 ann_file='annotations/lsp_test.json', data_prefix=dict(img='images/'),
                 test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = [dict(type='PCKAccuracy', thr=0.2, norm_item='bbox'), dict(type='EPE')]
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', eta_min=base_lr * 0.05, begin=0, end=epochs, T_max=epochs,
         by_epoch=True, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=epochs, val_interval=epochs)
auto_scale_lr = None
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=epochs, save_best=None, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
