"""What every adapter shares: calls recorded with forward hooks that leave nothing behind,
the one call a recorded value must come from, and a loss module run per sample."""
import pytest
import torch
from torch import nn

from classroomkd_mm.adapters import per_sample_losses, recording_calls
from classroomkd_mm.adapters.base import the_one_call


class WeightedMean(nn.Module):
    """A loss like MMPretrain's: per-sample squared errors times weights, over
    ``avg_factor``."""

    def forward(self, output, target, weight, avg_factor=None):
        errors = ((output - target) ** 2).sum(-1) * weight
        return errors.sum() / (avg_factor or len(errors))


def test_calls_are_recorded_with_a_hook_that_is_removed_afterwards():
    loss = WeightedMean()
    output, target, weight = torch.ones(3, 2), torch.zeros(3, 2), torch.tensor([1.0, 2.0, 3.0])
    with recording_calls(loss) as calls:
        first = loss(output, target, weight, avg_factor=3)
        loss.forward(output, target, weight)  # a direct forward runs no hooks
    assert not loss._forward_hooks
    [call] = calls
    assert call.args[0] is output and call.kwargs == dict(avg_factor=3) and call.output is first
    with recording_calls(None) as nothing:
        loss(output, target, weight)
    assert nothing == []


def test_a_value_is_read_from_exactly_one_call():
    with recording_calls(nn.Identity()) as calls:
        pass
    with pytest.raises(RuntimeError, match=r'Identity ran 0 times in one loss\(\) of the student; '
                                           'ClassroomKD reads the output from its one call'):
        the_one_call(calls, nn.Identity(), 'the output')


def test_a_loss_module_runs_on_each_sample_alone():
    loss = WeightedMean()
    output = torch.tensor([[1.0, 2.0], [0.0, 3.0], [2.0, 2.0]])
    target, weight = torch.zeros(3, 2), torch.tensor([1.0, 0.5, 2.0])
    with recording_calls(loss) as calls:
        loss(output, target, weight, avg_factor=3)
    # avg_factor is dropped: a batch of one has its own. 1·5, 0.5·9, 2·8
    assert per_sample_losses(loss, calls[0], 3).tolist() == pytest.approx([5.0, 4.5, 16.0])
