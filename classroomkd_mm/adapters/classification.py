"""Adapter for single-label MMPretrain classifiers.

Students: ``ImageClassifier`` (and subclasses) with a ``ClsHead``-family head,
and ``TimmClassifier``. Mentors: the same, and the project's
``TorchvisionClassifier``. MMPretrain is imported when a model is checked,
so that the pose path works without it.
"""
from typing import List, Sequence, Tuple

import torch
from torch import Tensor, nn

from ..registry import MODELS
from .base import TaskAdapter

SUPPORTED = ('single-label MMPretrain classifiers (ImageClassifier with a ClsHead-family head, '
             'TimmClassifier) and, as mentors, TorchvisionClassifier')


def is_single_label_classifier(model: nn.Module) -> bool:
    try:
        from mmpretrain.models import ClsHead, ImageClassifier, TimmClassifier
    except ImportError:
        return False
    return isinstance(model, TimmClassifier) or (
        isinstance(model, ImageClassifier) and isinstance(model.head, ClsHead))


def num_classes(model: nn.Module):
    """The class count of a classifier, or None when it cannot tell."""
    for owner in (getattr(model, 'head', None), getattr(model, 'model', None), model):
        if isinstance(getattr(owner, 'num_classes', None), int):  # head, timm model, wrapper
            return owner.num_classes
    return None


@MODELS.register_module()
class ClassificationAdapter(TaskAdapter):
    """Logits are the head's class scores; confidence is ``softmax(z)[y]`` (Eqs. 1-3)."""
    input_convention = 'half_pixel'  # images resized as cv2 and MMPretrain's Resize do
    supported = SUPPORTED

    @classmethod
    def accepts(cls, model: nn.Module) -> bool:
        return is_single_label_classifier(model)

    def accepts_mentor(self, model: nn.Module) -> bool:
        from ..models.torchvision_classifier import TorchvisionClassifier
        return self.accepts(model) or isinstance(model, TorchvisionClassifier)

    def check_mentor(self, student, mentor, name, checkpoint_meta) -> None:
        super().check_mentor(student, mentor, name, checkpoint_meta)
        expected, got = num_classes(student), num_classes(mentor)
        if got is not None and got != expected:
            raise ValueError(f"mentor '{name}' predicts {got} classes but the student "
                             f'predicts {expected}; a mentor must share the label space')

    def check_ground_truth(self, data_samples: Sequence) -> None:
        if not data_samples or not all('gt_label' in s or 'gt_score' in s for s in data_samples):
            raise ValueError('ClassroomKD needs ground-truth labels in loss mode: every data '
                             "sample must carry 'gt_label' (or 'gt_score')")

    def logit_groups(self, output: Tensor) -> List[Tensor]:
        return [output.unsqueeze(1)]

    def row_weights(self, data_samples, device) -> List[Tensor]:
        return [torch.ones(len(data_samples), 1, device=device)]

    def confidences(self, outputs: List[Tensor], data_samples) -> Tuple[Tensor, Tensor]:
        probabilities = torch.stack(outputs).float().softmax(-1)  # (C, N, classes)
        if 'gt_score' in data_samples[0]:  # soft labels (mixup, cutmix): expected probability
            target = torch.stack([s.gt_score for s in data_samples]).to(probabilities)
            confidence = (probabilities * target).sum(-1)
        else:
            labels = torch.cat([s.gt_label for s in data_samples]).to(probabilities.device)
            index = labels.view(1, -1, 1).expand(len(outputs), -1, 1)
            confidence = probabilities.gather(-1, index).squeeze(-1)
        return confidence, torch.ones_like(confidence[0], dtype=torch.bool)

    def output_module(self, model: nn.Module) -> nn.Module:
        # ImageClassifier scores come from its head; TimmClassifier's from its timm model.
        return model.head if hasattr(model, 'head') else model.model
