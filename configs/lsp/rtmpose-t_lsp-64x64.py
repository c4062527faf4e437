# RTMPose-t (SimCC head) on LSP Extended at 64x64, the SimCC classroom's student alone (NOKD).
# MMPose's stock RTMPose-t with only what the data and a 2-core CPU demand: the 14 LSP joints,
# 64x64 crops (LSP's persons fill images of at most 128 px), stride-16 features for the head,
# SimCC label sigma scaled with the input, no ImageNet-pretrained backbone (nothing can be
# downloaded here), plain BN, a short AdamW + cosine schedule, the stock stage-2 augmentation
# with milder rotation and no Albumentations, PCK@0.2 (bbox-normalised) and EPE.
# Data: tools/data/prepare_lsp.py unpacks and converts LSP Extended into data/lspet/.
_base_ = ['mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py']

input_size = (64, 64)
epochs = 10
base_lr = 2e-3
codec = dict(type='SimCCLabel', input_size=input_size, sigma=(1.6, 1.6), simcc_split_ratio=2.0,
             normalize=False, use_dark=False)
# The head reads the backbone's stride-16 features (4x4 here): at stride 32 a 64x64 crop leaves
# a 2x2 map, 4 values per keypoint for the head (measured: 30.6 against 38.6 PCK@0.2 after 10
# epochs on 1,000 images, 2-core CPU container).
model = dict(
    backbone=dict(out_indices=(3, ), norm_cfg=dict(type='BN'), init_cfg=None),
    head=dict(in_channels=192, out_channels=14, input_size=input_size,
              in_featuremap_size=tuple(s // 16 for s in input_size), decoder=codec))
# The backbone's last stage (stride 32) still runs but feeds nothing, so its weights get no
# gradient: DistributedDataParallel (tools/dist_train.sh) must be told, or it stops at the
# second iteration.
find_unused_parameters = True

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
custom_hooks = []  # the stock two-stage pipeline switch is for its 420-epoch schedule
auto_scale_lr = None
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=epochs, save_best=None, max_keep_ckpts=1))
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
