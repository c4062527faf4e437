# ResNet-18 (MMPretrain's CIFAR variant), the student of the Swin-T classroom.
_base_ = ['../_base_/recipe_240e.py', 'mmpretrain::_base_/models/resnet18_cifar.py']
model = dict(head=dict(num_classes=100))
