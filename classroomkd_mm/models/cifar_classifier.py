"""``ckd.build_cifar_classifier``: a config shorthand that builds an MMPretrain
``ImageClassifier`` of the CIFAR zoo.

It is a builder function, not a class (MMPretrain stays an optional dependency that the
plugin imports only when a classifier is built): the model it returns is a plain
``ImageClassifier`` whose state-dict keys (``backbone.``, ``neck.``, ``head.``) are those
of every checkpoint written so far.
"""
from ..registry import MODELS
from .cifar import cifar_classifier


@MODELS.register_module()
def build_cifar_classifier(arch: str, num_classes: int = 100, **overrides):
    """An MMPretrain ``ImageClassifier`` of CIFAR zoo ``arch`` (see docs/cifar_zoo.md), built
    in MMPretrain's scope whatever the config's ``default_scope``.

    ``overrides`` replace keys of the classifier config (``data_preprocessor``,
    ``init_cfg``, ...).
    """
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    return PRETRAIN_MODELS.build(dict(cifar_classifier(arch, num_classes), _scope_='mmpretrain',
                                      **overrides))
