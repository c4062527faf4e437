"""``CifarClassifier``: a config shorthand for MMPretrain classifiers of the CIFAR zoo."""
from mmengine.registry import MODELS

from .cifar import cifar_classifier


@MODELS.register_module(name='CifarClassifier')
def build_cifar_classifier(arch: str, num_classes: int = 100, **overrides):
    """An MMPretrain ``ImageClassifier`` of CIFAR zoo ``arch`` (see docs/cifar_zoo.md).

    ``overrides`` replace keys of the classifier config (``data_preprocessor``,
    ``init_cfg``, ...).
    """
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    return PRETRAIN_MODELS.build(dict(cifar_classifier(arch, num_classes), **overrides))
