"""CIFAR bottleneck ResNet-50/101/152 (He et al., "Deep Residual Learning", CVPR 2016)."""
import torch.nn as nn
import torch.nn.functional as F

from ...registry import MODELS
from .resnet import conv_bn, init_cifar_weights


class Bottleneck(nn.Module):
    """1x1 reduce - 3x3 (strided) - 1x1 expand (x4), with a 1x1-projection shortcut when needed."""

    expansion = 4

    def __init__(self, in_ch, planes, stride=1):
        super().__init__()
        out_ch = planes * self.expansion
        self.conv1 = conv_bn(in_ch, planes, 1)
        self.conv2 = conv_bn(planes, planes, 3, stride)
        self.conv3 = conv_bn(planes, out_ch, 1)
        self.shortcut = (conv_bn(in_ch, out_ch, 1, stride)
                         if stride != 1 or in_ch != out_ch else nn.Identity())

    def forward(self, x):
        out = F.relu(self.conv2(F.relu(self.conv1(x))))
        return F.relu(self.conv3(out) + self.shortcut(x))


@MODELS.register_module()
class CifarResNetBottleneck(nn.Module):
    """ImageNet bottleneck ResNet with a 3x3 stride-1 stem, no max-pool (4x4 map at 32x32)."""

    STAGE_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}

    def __init__(self, depth=50):
        super().__init__()
        if depth not in self.STAGE_BLOCKS:
            raise ValueError(f'CifarResNetBottleneck depth must be one of '
                             f'{tuple(self.STAGE_BLOCKS)}, got {depth}')
        self.stem = nn.Sequential(conv_bn(3, 64, 3), nn.ReLU(inplace=True))
        layers, in_ch = [], 64
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), self.STAGE_BLOCKS[depth])):
            blocks = []
            for j in range(n):
                blocks.append(Bottleneck(in_ch, planes, 2 if (i > 0 and j == 0) else 1))
                in_ch = planes * Bottleneck.expansion
            layers.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*layers)
        self.out_channels = in_ch
        init_cifar_weights(self)

    def forward(self, x):
        return (self.layers(self.stem(x)), )
