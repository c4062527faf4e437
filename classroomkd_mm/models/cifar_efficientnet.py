"""EfficientNet for 32x32 CIFAR inputs: timm's network with a stride-1 stem.

timm's EfficientNet-B0 downsamples 32 times, so a 32-pixel CIFAR image ends as a
1x1 map. The ClassroomKD authors set the stem convolution's stride to 1 for their
CIFAR-100 EfficientNet-B0 mentors (Table 4a): the network then downsamples 16
times and its last map is 2x2. Everything else (blocks, widths, timm's own weight
initialisation) is timm's.
"""
from mmengine.model import BaseModule

from ..registry import MODELS


@MODELS.register_module()
class CifarEfficientNet(BaseModule):
    """A timm EfficientNet without its classifier; returns ``(last feature map,)``.

    Args:
        model_name: a timm EfficientNet, e.g. ``'efficientnet_b0'``.
        stem_stride: stride of the stem convolution (timm: 2; CIFAR: 1).
    """

    def __init__(self, model_name: str = 'efficientnet_b0', stem_stride: int = 1,
                 init_cfg=None):
        import timm
        super().__init__(init_cfg=init_cfg)
        self.network = timm.create_model(model_name, pretrained=False, num_classes=0,
                                         global_pool='')
        self.network.conv_stem.stride = (stem_stride, stem_stride)
        self.out_channels = self.network.num_features

    def forward(self, x):
        return (self.network.forward_features(x), )
