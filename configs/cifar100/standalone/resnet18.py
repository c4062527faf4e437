# ResNet-18 (MMPretrain's CIFAR variant), the student of the Swin-T classroom; on the CRD
# schedule like every other mentor / NOKD config.
_base_ = ['../_base_/recipe_240e_crd.py', 'mmpretrain::_base_/models/resnet18_cifar.py']
model = dict(head=dict(num_classes=100))
