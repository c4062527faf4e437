"""CIFAR-100 (32x32) model zoo of the CRD / RepDistiller KD benchmark as MMEngine backbones.

Every backbone is registered in the project's ``MODELS`` registry (``type='ckd.CifarResNet'``
...), returns a 1-tuple holding the final feature map (before global pooling) and exposes its
channel count as ``out_channels``.
"""
import copy

from .mobilenet_v2 import CifarMobileNetV2
from .resnet import CifarResNet
from .resnet_bottleneck import CifarResNetBottleneck
from .shufflenet_v1 import CifarShuffleNetV1
from .shufflenet_v2 import CifarShuffleNetV2
from .vgg import CifarVGG
from .wide_resnet import CifarWideResNet

# short name -> (backbone config, feature channels fed to the linear head)
_ZOO = {
    'resnet8': (dict(type='ckd.CifarResNet', depth=8), 64),
    'resnet14': (dict(type='ckd.CifarResNet', depth=14), 64),
    'resnet20': (dict(type='ckd.CifarResNet', depth=20), 64),
    'resnet32': (dict(type='ckd.CifarResNet', depth=32), 64),
    'resnet44': (dict(type='ckd.CifarResNet', depth=44), 64),
    'resnet56': (dict(type='ckd.CifarResNet', depth=56), 64),
    'resnet110': (dict(type='ckd.CifarResNet', depth=110), 64),
    'resnet8x4': (dict(type='ckd.CifarResNet', depth=8, width=4), 256),
    'resnet32x4': (dict(type='ckd.CifarResNet', depth=32, width=4), 256),
    'wrn_16_2': (dict(type='ckd.CifarWideResNet', depth=16, widen_factor=2), 128),
    'wrn_40_1': (dict(type='ckd.CifarWideResNet', depth=40, widen_factor=1), 64),
    'wrn_40_2': (dict(type='ckd.CifarWideResNet', depth=40, widen_factor=2), 128),
    'vgg8': (dict(type='ckd.CifarVGG', depth=8), 512),
    'vgg11': (dict(type='ckd.CifarVGG', depth=11), 512),
    'vgg13': (dict(type='ckd.CifarVGG', depth=13), 512),
    'mobilenetv2': (dict(type='ckd.CifarMobileNetV2', width_mult=0.5), 1280),
    'shufflev1': (dict(type='ckd.CifarShuffleNetV1', groups=3), 960),
    'shufflev2': (dict(type='ckd.CifarShuffleNetV2', net_size=1.0), 1024),
    'resnet50': (dict(type='ckd.CifarResNetBottleneck', depth=50), 2048),
}

CIFAR_ARCHS = {name: cfg for name, (cfg, _) in _ZOO.items()}
CIFAR_OUT_CHANNELS = {name: ch for name, (_, ch) in _ZOO.items()}


def cifar_classifier(arch, num_classes=100):
    """Return an mmpretrain ``ImageClassifier`` config (backbone, GAP neck, linear head)."""
    if arch not in CIFAR_ARCHS:
        raise ValueError(
            f'Unknown CIFAR arch {arch!r}; allowed: {", ".join(CIFAR_ARCHS)}')
    return dict(
        type='ImageClassifier',
        backbone=copy.deepcopy(CIFAR_ARCHS[arch]),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=CIFAR_OUT_CHANNELS[arch],
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))


__all__ = [
    'CifarResNet', 'CifarWideResNet', 'CifarVGG', 'CifarMobileNetV2',
    'CifarShuffleNetV1', 'CifarShuffleNetV2', 'CifarResNetBottleneck',
    'CIFAR_ARCHS', 'CIFAR_OUT_CHANNELS', 'cifar_classifier'
]
