# Swin-T at 224 pixels (CIFAR-100 images upsampled), the teacher of the ResNet-18 classroom
# (Appendix A: 88.78). It starts from MMPretrain's ImageNet-1k Swin-T (81.18 top-1, the
# `swin-tiny_16xb64_in1k` weights of MMPretrain's metafile; the backbone only, a new
# 100-class head) and is fine-tuned with MMPretrain's own batch-64 fine-tuning schedule
# (`mmpretrain::_base_/schedules/cub_bs64.py`: SGD with Nesterov momentum, lr 0.01, weight
# decay 5e-4, a 5-epoch linear warm-up and a cosine decay over 100 epochs), with the
# gradient clipping of MMPretrain's Swin configs. The paper does not state its recipe.
_base_ = ['../_base_/recipe_240e.py', '../_base_/mentor_zoo.py']
imagenet_checkpoint = ('https://download.openmmlab.com/mmclassification/v0/swin-transformer/'
                       'swin_tiny_224_b16x64_300e_imagenet_20210616_090925-66df6be6.pth')
model = dict(
    _base_.cifar100_mentors.swin_t.model,
    backbone=dict(_base_.cifar100_mentors.swin_t.model.backbone,
                  init_cfg=dict(type='Pretrained', checkpoint=imagenet_checkpoint,
                                prefix='backbone')))
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Resize', scale=224),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='Resize', scale=224), dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4, nesterov=True),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, by_epoch=True, begin=5, end=100),
]
train_cfg = dict(max_epochs=100)
