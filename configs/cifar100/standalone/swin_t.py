# Swin-T at 224 pixels (CIFAR-100 images upsampled), the teacher of the ResNet-18 classroom.
_base_ = ['../_base_/recipe_240e.py', '../_base_/mentor_zoo.py']
model = {{_base_.cifar100_mentors.swin_t.model}}
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
