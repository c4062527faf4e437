# One CIFAR zoo model alone on CIFAR-10: the NOKD student, or a shipped mentor under
# tools/test.py (python tools/test.py configs/cifar10/standalone.py
# data/cifar10_mentors/resnet20.pth --cfg-options model.arch=resnet20).
_base_ = ['./_base_.py']
model = dict(type='ckd.build_cifar_classifier', arch='resnet8', num_classes=10)
