"""CIFAR ShuffleNetV2 (Ma et al., "ShuffleNet V2: Practical Guidelines ...", ECCV 2018)."""
import torch
import torch.nn as nn

from ...registry import MODELS
from .resnet import init_cifar_weights
from .shufflenet_v1 import channel_shuffle


def conv_bn(in_ch, out_ch, kernel_size=1, stride=1, groups=1, relu=True):
    layers = [nn.Conv2d(in_ch, out_ch, kernel_size, stride, kernel_size // 2,
                        groups=groups, bias=False), nn.BatchNorm2d(out_ch)]
    return nn.Sequential(*layers, *([nn.ReLU(inplace=True)] if relu else []))


class BasicUnit(nn.Module):
    """Channel split; one half goes 1x1 - 3x3 dw - 1x1, then concat and shuffle."""

    def __init__(self, channels):
        super().__init__()
        c = channels // 2
        self.branch = nn.Sequential(conv_bn(c, c, 1), conv_bn(c, c, 3, groups=c, relu=False),
                                    conv_bn(c, c, 1))

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        return channel_shuffle(torch.cat([x1, self.branch(x2)], 1), 2)


class DownUnit(nn.Module):
    """Spatial down-sampling unit: two stride-2 branches concatenated, then shuffle."""

    def __init__(self, in_ch, out_ch):
        super().__init__()
        mid = out_ch // 2
        self.left = nn.Sequential(conv_bn(in_ch, in_ch, 3, 2, groups=in_ch, relu=False),
                                  conv_bn(in_ch, mid, 1))
        self.right = nn.Sequential(conv_bn(in_ch, mid, 1),
                                   conv_bn(mid, mid, 3, 2, groups=mid, relu=False),
                                   conv_bn(mid, mid, 1))

    def forward(self, x):
        return channel_shuffle(torch.cat([self.left(x), self.right(x)], 1), 2)


@MODELS.register_module()
class CifarShuffleNetV2(nn.Module):
    """ShuffleNetV2 for 32x32 inputs (1x1 stem, no max-pool); stages: DownUnit + 3/7/3 units."""

    # net_size -> (stage1, stage2, stage3, final 1x1 conv) channels (Table 5 of the paper).
    CHANNELS = {0.5: (48, 96, 192, 1024), 1.0: (116, 232, 464, 1024),
                1.5: (176, 352, 704, 1024), 2.0: (244, 488, 976, 2048)}

    def __init__(self, net_size=1.0):
        super().__init__()
        if net_size not in self.CHANNELS:
            raise ValueError(f'CifarShuffleNetV2 net_size must be one of '
                             f'{tuple(self.CHANNELS)}, got {net_size}')
        *stages, last = self.CHANNELS[net_size]
        layers, in_ch = [conv_bn(3, 24, 1)], 24
        for out_ch, n in zip(stages, (3, 7, 3)):
            layers.append(DownUnit(in_ch, out_ch))
            layers += [BasicUnit(out_ch) for _ in range(n)]
            in_ch = out_ch
        layers.append(conv_bn(in_ch, last, 1))
        self.features = nn.Sequential(*layers)
        self.out_channels = last
        init_cifar_weights(self)

    def forward(self, x):
        return (self.features(x), )
