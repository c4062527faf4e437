"""``ckd.TorchvisionClassifier``: a torchvision ImageNet model as a frozen mentor.

MMPretrain and timm lack some classic architectures (SqueezeNet 1.1, the
paper's ImageNet peer). This wrapper runs a torchvision model registered as
its ``network`` child, so ``.to()``, dtype casts and the mentor fast path reach
the modules that run; its state dict keeps torchvision's own keys (no
``network.`` prefix), so published weight files load as they are. It only
answers ``mode='tensor'``: it teaches, it is not trained here.
"""
import torchvision
from mmengine.model import BaseModel

from ..compat import register_state_dict_hooks
from ..registry import MODELS

PREFIX = 'network.'


def drop_prefix(module, state_dict, prefix, local_metadata):
    """State-dict hook: ``network.features.0.weight`` is saved as ``features.0.weight``."""
    for key in [key for key in state_dict if key.startswith(prefix + PREFIX)]:
        state_dict[prefix + key[len(prefix + PREFIX):]] = state_dict.pop(key)


def add_prefix(module, state_dict, prefix, *args):
    """Load pre-hook: torchvision's ``features.0.weight`` loads into ``network.``."""
    for key in [key for key in state_dict if key.startswith(prefix)
                and not key.startswith(prefix + PREFIX)
                and not key.startswith(prefix + 'data_preprocessor.')]:
        state_dict[prefix + PREFIX + key[len(prefix):]] = state_dict.pop(key)


@MODELS.register_module()
class TorchvisionClassifier(BaseModel):
    """Args: ``name`` of a ``torchvision.models`` builder, ``num_classes``."""

    def __init__(self, name: str, num_classes: int = 1000, data_preprocessor=None,
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        builder = getattr(torchvision.models, name, None)
        if builder is None:
            raise ValueError(f'torchvision.models has no {name!r}')
        self.network = builder(weights=None, num_classes=num_classes)
        self.num_classes = num_classes
        register_state_dict_hooks(self, post_save=drop_prefix, pre_load=add_prefix)

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode != 'tensor':
            raise RuntimeError("TorchvisionClassifier is a mentor: only mode='tensor' is "
                               f'supported, got {mode!r}')
        return self.network(inputs)
