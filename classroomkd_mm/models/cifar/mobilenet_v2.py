"""CIFAR MobileNetV2 (Sandler et al., "MobileNetV2: Inverted Residuals ...", CVPR 2018)."""
import torch.nn as nn

from ...registry import MODELS
from .resnet import init_cifar_weights


def conv_bn_relu(in_ch, out_ch, kernel_size=1, stride=1, groups=1):
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


class InvertedResidual(nn.Module):
    """1x1 expand - 3x3 depthwise - 1x1 linear projection, residual if shapes match."""

    def __init__(self, in_ch, out_ch, stride, expand_ratio):
        super().__init__()
        mid = in_ch * expand_ratio
        # As in the CRD CIFAR variant the 1x1 expansion is kept even when t == 1.
        self.conv = nn.Sequential(
            conv_bn_relu(in_ch, mid, 1),
            conv_bn_relu(mid, mid, 3, stride, groups=mid),
            nn.Conv2d(mid, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch))
        self.use_res = stride == 1 and in_ch == out_ch

    def forward(self, x):
        out = self.conv(x)
        return x + out if self.use_res else out


@MODELS.register_module()
class CifarMobileNetV2(nn.Module):
    """MobileNetV2 for 32x32 inputs (CRD 'mobile_half' at width_mult=0.5), 2x2 output map."""

    # (expand ratio t, channels c, repeats n, first stride s)
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, width_mult=0.5):
        super().__init__()
        if not width_mult > 0:
            raise ValueError(
                f'CifarMobileNetV2 width_mult must be > 0, got {width_mult}')
        in_ch = int(32 * width_mult)
        layers = [conv_bn_relu(3, in_ch, 3, stride=2)]
        for t, c, n, s in self.SETTINGS:
            out_ch = int(c * width_mult)
            for i in range(n):
                layers.append(InvertedResidual(in_ch, out_ch, s if i == 0 else 1, t))
                in_ch = out_ch
        self.out_channels = int(1280 * width_mult) if width_mult > 1.0 else 1280
        layers.append(conv_bn_relu(in_ch, self.out_channels, 1))
        self.features = nn.Sequential(*layers)
        init_cifar_weights(self)

    def forward(self, x):
        return (self.features(x), )
