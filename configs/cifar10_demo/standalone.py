# One CIFAR zoo model trained alone on the demo subset (a mentor, or the NOKD student).
# The demo sets the architecture: --cfg-options model.arch=resnet32
_base_ = ['./_base_.py']
model = dict(type='CifarClassifier', arch='resnet8', num_classes=10)
