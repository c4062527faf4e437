"""CIFAR Wide ResNet WRN-d-k (Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016)."""
import torch.nn as nn
import torch.nn.functional as F

from ...registry import MODELS
from .resnet import init_cifar_weights


class PreActBlock(nn.Module):
    """Pre-activation block: BN-ReLU-conv3x3-BN-ReLU-conv3x3 plus shortcut."""

    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.shortcut = (nn.Conv2d(in_ch, out_ch, 1, stride, bias=False)
                         if stride != 1 or in_ch != out_ch else None)

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        out = self.conv2(F.relu(self.bn2(self.conv1(pre))))
        # Projection shortcuts take the pre-activated input (as in the paper).
        return out + (x if self.shortcut is None else self.shortcut(pre))


@MODELS.register_module()
class CifarWideResNet(nn.Module):
    """CIFAR WRN-depth-widen_factor (depth = 6n+4), channels 16, 16k, 32k, 64k."""

    def __init__(self, depth, widen_factor=1):
        super().__init__()
        if depth < 10 or (depth - 4) % 6 != 0:
            raise ValueError('CifarWideResNet depth must be 6n+4 with n >= 1 '
                             f'(e.g. 10, 16, 22, 28, 40), got {depth}')
        if not isinstance(widen_factor, int) or widen_factor < 1:
            raise ValueError('CifarWideResNet widen_factor must be a positive '
                             f'integer, got {widen_factor}')
        n = (depth - 4) // 6
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        layers, in_ch = [], 16
        for i, ch in enumerate((16 * widen_factor, 32 * widen_factor,
                                64 * widen_factor)):
            blocks = []
            for j in range(n):
                blocks.append(PreActBlock(in_ch, ch, 2 if (i > 0 and j == 0) else 1))
                in_ch = ch
            layers.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(in_ch)  # final BN-ReLU before pooling
        self.out_channels = in_ch
        init_cifar_weights(self)

    def forward(self, x):
        return (F.relu(self.bn(self.layers(self.stem(x)))), )
