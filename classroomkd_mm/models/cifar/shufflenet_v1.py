"""CIFAR ShuffleNetV1 (Zhang et al., "ShuffleNet: An Extremely Efficient CNN ...", CVPR 2018)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...registry import MODELS
from .resnet import init_cifar_weights


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    """Group 1x1 - shuffle - 3x3 dw - group 1x1; add (stride 1) or concat avg-pool (stride 2)."""

    def __init__(self, in_ch, out_ch, stride, groups):
        super().__init__()
        mid = out_ch // 4
        self.g1 = 1 if in_ch == 24 else groups  # the first unit sees only 24 stem channels
        self.stride = stride
        self.conv1 = nn.Conv2d(in_ch, mid, 1, groups=self.g1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, out_ch, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(out_ch)

    def forward(self, x):
        out = channel_shuffle(F.relu(self.bn1(self.conv1(x))), self.g1)
        out = self.bn3(self.conv3(F.relu(self.bn2(self.conv2(out)))))
        if self.stride == 2:
            return F.relu(torch.cat([out, F.avg_pool2d(x, 3, 2, 1)], 1))
        return F.relu(out + x)


@MODELS.register_module()
class CifarShuffleNetV1(nn.Module):
    """ShuffleNetV1 1.0x for 32x32 inputs (1x1 stem, no stem pooling), stages of 4/8/4 units."""

    # groups -> stage output channels (Table 1 of the paper).
    OUT_CHANNELS = {1: (144, 288, 576), 2: (200, 400, 800), 3: (240, 480, 960)}

    def __init__(self, groups=3):
        super().__init__()
        if groups not in self.OUT_CHANNELS:
            raise ValueError(f'CifarShuffleNetV1 groups must be one of '
                             f'{tuple(self.OUT_CHANNELS)}, got {groups}')
        self.stem = nn.Sequential(nn.Conv2d(3, 24, 1, bias=False),
                                  nn.BatchNorm2d(24), nn.ReLU(inplace=True))
        layers, in_ch = [], 24
        for out_ch, n in zip(self.OUT_CHANNELS[groups], (4, 8, 4)):
            # The stride-2 unit concatenates its pooled input, so it produces out_ch - in_ch.
            layers.append(ShuffleUnit(in_ch, out_ch - in_ch, 2, groups))
            layers += [ShuffleUnit(out_ch, out_ch, 1, groups) for _ in range(n - 1)]
            in_ch = out_ch
        self.layers = nn.Sequential(*layers)
        self.out_channels = in_ch
        init_cifar_weights(self)

    def forward(self, x):
        return (self.layers(self.stem(x)), )
