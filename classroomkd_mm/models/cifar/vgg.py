"""CIFAR VGG-{8,11,13,16,19} with BN (Simonyan & Zisserman, "Very Deep ConvNets", ICLR 2015)."""
import torch.nn as nn

from ...registry import MODELS
from .resnet import init_cifar_weights

# Conv widths of the five stages; VGG-8 is the reduced variant of the CRD benchmark.
VGG_CFGS = {
    8: [[64], [128], [256], [512], [512]],
    11: [[64], [128], [256, 256], [512, 512], [512, 512]],
    13: [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
    16: [[64, 64], [128, 128], [256] * 3, [512] * 3, [512] * 3],
    19: [[64, 64], [128, 128], [256] * 4, [512] * 4, [512] * 4],
}


@MODELS.register_module()
class CifarVGG(nn.Module):
    """VGG for 32x32 inputs: five conv(bias)-BN-ReLU stages, 2x2 max-pool after the first three."""

    def __init__(self, depth):
        super().__init__()
        if depth not in VGG_CFGS:
            raise ValueError(
                f'CifarVGG depth must be one of {tuple(VGG_CFGS)}, got {depth}')
        layers, in_ch = [], 3
        for i, stage in enumerate(VGG_CFGS[depth]):
            for ch in stage:
                layers += [nn.Conv2d(in_ch, ch, 3, padding=1),
                           nn.BatchNorm2d(ch), nn.ReLU(inplace=True)]
                in_ch = ch
            if i < 3:  # 32 -> 16 -> 8 -> 4; the last two stages run at 4x4
                layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.out_channels = in_ch
        init_cifar_weights(self)

    def forward(self, x):
        return (self.features(x), )
