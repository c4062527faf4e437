"""CIFAR ResNet-{8..110} and x4 variants (He et al., "Deep Residual Learning", CVPR 2016)."""
import torch.nn as nn
import torch.nn.functional as F

from ...registry import MODELS


def init_cifar_weights(model):
    """Kaiming-normal convs (fan_out, ReLU); BatchNorm weight 1, bias 0."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def conv_bn(in_ch, out_ch, kernel_size=3, stride=1, groups=1):
    """Bias-free convolution followed by BatchNorm (no activation)."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(out_ch))


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity or 1x1-projection shortcut."""

    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = conv_bn(in_ch, out_ch, 3, stride)
        self.conv2 = conv_bn(out_ch, out_ch, 3)
        self.shortcut = (conv_bn(in_ch, out_ch, 1, stride)
                         if stride != 1 or in_ch != out_ch else nn.Identity())

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        return F.relu(out + self.shortcut(x))


@MODELS.register_module()
class CifarResNet(nn.Module):
    """CIFAR ResNet (depth = 6n+2): 3x3 stem and three stages of BasicBlocks."""

    DEPTHS = (8, 14, 20, 32, 44, 56, 110)
    # width -> (stem, stage1, stage2, stage3) channels, as in the CRD benchmark.
    WIDTHS = {1: (16, 16, 32, 64), 4: (32, 64, 128, 256)}

    def __init__(self, depth, width=1):
        super().__init__()
        if depth not in self.DEPTHS:
            raise ValueError(
                f'CifarResNet depth must be one of {self.DEPTHS}, got {depth}')
        if width not in self.WIDTHS:
            raise ValueError(f'CifarResNet width must be one of '
                             f'{tuple(self.WIDTHS)}, got {width}')
        n = (depth - 2) // 6
        stem, *stages = self.WIDTHS[width]
        self.stem = nn.Sequential(conv_bn(3, stem, 3), nn.ReLU(inplace=True))
        layers, in_ch = [], stem
        for i, ch in enumerate(stages):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(in_ch, ch, 2 if (i > 0 and j == 0) else 1))
                in_ch = ch
            layers.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*layers)
        self.out_channels = in_ch
        init_cifar_weights(self)

    def forward(self, x):
        return (self.layers(self.stem(x)), )
