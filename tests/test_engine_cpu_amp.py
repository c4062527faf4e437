"""classroomkd_mm/engine/cpu_amp.py: ``ckd.CPUAmpOptimWrapper``."""
import torch
from mmengine.registry import OPTIM_WRAPPERS

from classroomkd_mm.engine.cpu_amp import CPUAmpOptimWrapper


def test_forward_runs_in_bfloat16_on_the_cpu_and_the_step_updates_float32_weights():
    model = torch.nn.Linear(4, 2)
    wrapper = OPTIM_WRAPPERS.build(dict(type='ckd.CPUAmpOptimWrapper',
                                        optimizer=torch.optim.SGD(model.parameters(), lr=1.0)))
    assert type(wrapper) is CPUAmpOptimWrapper
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        output = model(torch.ones(3, 4))
    assert output.dtype == torch.bfloat16
    wrapper.update_params(output.float().sum())
    assert model.weight.dtype == torch.float32
    # d(sum)/dW = 3 per weight (three rows of ones), a step of lr 1
    assert torch.allclose(model.weight, before - 3, atol=1e-6)
