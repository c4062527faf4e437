"""``TorchvisionClassifier``: a torchvision ImageNet model as a frozen mentor.

MMPretrain and timm lack some classic architectures (SqueezeNet 1.1, the
paper's ImageNet peer). This wrapper exposes a torchvision model with
torchvision's own state-dict keys, so its published weight files load as they
are. It only answers ``mode='tensor'``: it teaches, it is not trained here.
"""
import torchvision
from mmengine.model import BaseModel
from mmengine.registry import MODELS


@MODELS.register_module()
class TorchvisionClassifier(BaseModel):
    """Args: ``name`` of a ``torchvision.models`` builder, ``num_classes``."""

    def __init__(self, name: str, num_classes: int = 1000, data_preprocessor=None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        builder = getattr(torchvision.models, name, None)
        if builder is None:
            raise ValueError(f'torchvision.models has no {name!r}')
        network = builder(weights=None, num_classes=num_classes)
        for child_name, child in network.named_children():  # keys stay torchvision's
            self.add_module(child_name, child)
        self.__dict__['network'] = network  # runs on the very modules registered above
        self.num_classes = num_classes

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode != 'tensor':
            raise RuntimeError("TorchvisionClassifier is a mentor: only mode='tensor' is "
                               f'supported, got {mode!r}')
        return self.network(inputs)
