"""Shared by the tests of CIFAR classrooms: the zoo's classifiers, a seeded labelled batch,
and a classroom of two mentors with local weights (conftest's ``cifar_classroom``)."""
import torch
from mmengine.registry import MODELS

from runner_utils import save_zoo_checkpoint

PREPROCESSOR = dict(type='ClsDataPreprocessor', num_classes=10, mean=[125.3, 123.0, 113.9],
                    std=[63.0, 62.1, 66.7])


def classifier(arch, num_classes=10):
    return dict(type='ckd.build_cifar_classifier', arch=arch, num_classes=num_classes)


def build(cfg, **changes):
    return MODELS.build(dict(cfg, **changes))


def save_seeded_checkpoint(model_cfg, path, seed):
    """A model-zoo style file from a seeded random model."""
    torch.manual_seed(seed)
    return save_zoo_checkpoint(MODELS.build(model_cfg), path)


def labelled_batch(n=6, seed=0):
    """``n`` random 32x32 images with random labels: inputs, data samples, labels."""
    from mmpretrain.structures import DataSample
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(n, 3, 32, 32, generator=generator)
    labels = torch.randint(0, 10, (n,), generator=generator)
    return inputs, [DataSample().set_gt_label(int(label)) for label in labels], labels


def two_mentor_classroom(folder):
    """A ResNet-8 student, and mentors 'teacher' (ResNet-14) and 'vgg' (VGG-8) whose seeded
    random weights are saved in ``folder``."""
    mentors = []
    for seed, (name, arch) in enumerate((('teacher', 'resnet14'), ('vgg', 'vgg8'))):
        path = save_seeded_checkpoint(classifier(arch), str(folder / f'{name}.pth'), seed)
        mentors.append(dict(name=name, model=classifier(arch), checkpoint=path))
    return dict(type='ClassroomKDDistiller', mentors=mentors,
                student=dict(classifier('resnet8'), data_preprocessor=PREPROCESSOR))
