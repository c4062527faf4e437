"""Shared by the tests of the mentor fast path: its log lines, and BatchNorms worth folding."""
import logging

import pytest
import torch
from mmengine.logging import MMLogger
from torch.nn.modules.batchnorm import _BatchNorm


@pytest.fixture
def fast_path_log():
    """Call it to get the mentor fast path's log lines so far in the test."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(min(level, logging.INFO))  # the fast path's passes are INFO lines
    logger.addHandler(handler)
    yield lambda: [record.getMessage() for record in records
                   if record.getMessage().startswith('mentor fast path:')]
    logger.removeHandler(handler)
    logger.setLevel(level)


def randomise_batchnorm(model, seed=0):
    """Non-trivial running statistics, so that folding them matters."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator))
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
    return model.eval()


def near_initial_batchnorm(model):
    """BatchNorm statistics and affine terms spread around their initial values, as in a
    trained network, so that folding them matters (random weights with widely spread
    statistics amplify any rounding through deep networks)."""
    generator = torch.Generator().manual_seed(0)
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            n = module.num_features
            module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(n, generator=generator) * 0.5 + 0.75)
            module.weight.data.copy_(torch.rand(n, generator=generator) * 0.5 + 0.75)
            module.bias.data.copy_(torch.randn(n, generator=generator) * 0.1)
    return model.eval()
