"""classroomkd_mm/models/torchvision_classifier.py: ``ckd.TorchvisionClassifier``."""
import pytest
import torch
import torchvision
from mmengine.registry import MODELS

from classroomkd_mm.models import TorchvisionClassifier


def test_state_dict_has_torchvision_keys_and_the_same_forward():
    torch.manual_seed(0)
    reference = torchvision.models.squeezenet1_1(num_classes=10).eval()
    mentor = MODELS.build(dict(type='ckd.TorchvisionClassifier', name='squeezenet1_1',
                               num_classes=10)).eval()
    assert type(mentor) is TorchvisionClassifier
    mentor.load_state_dict(reference.state_dict())  # strict: torchvision's own keys
    assert list(mentor.state_dict()) == list(reference.state_dict())
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(mentor(inputs), reference(inputs))
    with pytest.raises(RuntimeError, match="only mode='tensor'"):
        mentor(inputs, mode='loss')
    with pytest.raises(ValueError, match="no 'resnet_9'"):
        MODELS.build(dict(type='ckd.TorchvisionClassifier', name='resnet_9'))
