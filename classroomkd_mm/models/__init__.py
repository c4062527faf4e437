"""Architectures the paper's classrooms need that MMPretrain lacks, in the ``ckd`` scope."""
from . import cifar  # noqa: F401
from .cifar_classifier import build_cifar_classifier  # noqa: F401
from .cifar_efficientnet import CifarEfficientNet  # noqa: F401
from .torchvision_classifier import TorchvisionClassifier  # noqa: F401
