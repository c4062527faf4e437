"""What the distiller needs from a task: outputs as logit groups, confidence at the GT,
inputs in each mentor's own form, and the task loss split per sample (Eq. 10)."""
from contextlib import contextmanager
from functools import partial
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn
from torch.utils._pytree import tree_flatten, tree_unflatten

from ..core import TaskLoss


class Call(NamedTuple):
    """One recorded call of a module: what it was given and what it returned."""
    args: tuple
    kwargs: dict
    output: Any


@contextmanager
def recording_calls(module: Optional[nn.Module]):
    """Record every call of ``module`` while the block runs, with a forward hook that is
    removed afterwards. ``None`` records nothing."""
    calls: List[Call] = []
    if module is None:
        yield calls
        return
    handle = module.register_forward_hook(
        lambda _, args, kwargs, output: calls.append(Call(args, kwargs, output)),
        with_kwargs=True)
    try:
        yield calls
    finally:
        handle.remove()


def the_one_call(calls: List[Call], module: nn.Module, what: str) -> Call:
    """The single call in ``calls``, or a RuntimeError saying how many there were."""
    if len(calls) != 1:
        raise RuntimeError(f'{type(module).__name__} ran {len(calls)} times in one loss() of '
                           f'the student; ClassroomKD reads {what} from its one call')
    return calls[0]


def per_sample_losses(loss_module: nn.Module, call: Call, num_samples: int) -> Tensor:
    """(N,) the loss ``loss_module`` gives each sample of ``call`` alone.

    Each sample is passed as a batch of one through ``torch.func.vmap``: every
    tensor argument whose first dim is N is split, everything else is shared,
    and ``avg_factor`` is dropped (a batch of one has its own).
    """
    kwargs = {key: value for key, value in call.kwargs.items() if key != 'avg_factor'}
    leaves, spec = tree_flatten((call.args, kwargs))
    split = [index for index, leaf in enumerate(leaves) if isinstance(leaf, Tensor)
             and leaf.dim() > 0 and leaf.shape[0] == num_samples]

    def one_sample(*tensors):
        sample_leaves = list(leaves)
        for index, tensor in zip(split, tensors, strict=True):
            sample_leaves[index] = tensor.unsqueeze(0)
        args, sample_kwargs = tree_unflatten(sample_leaves, spec)
        return loss_module(*args, **sample_kwargs).reshape(())

    return torch.func.vmap(one_sample)(*[leaves[index] for index in split])


class TaskAdapter:
    """Reads a task's models. Subclasses know one family (classifiers, heatmap or SimCC
    pose estimators); the distiller picks one when it is built (``adapters.select_adapter``).

    ``input_convention`` is how a mentor's input crop relates to the student's
    when their sizes differ (see ``core/resample.py``).
    """
    input_convention = 'grid'
    supported = ''  # the models the adapter reads, for error messages

    def __init__(self, student: nn.Module):
        pass

    @classmethod
    def accepts(cls, model: nn.Module) -> bool:
        """Whether this adapter can read ``model`` as a student."""
        raise NotImplementedError

    def accepts_mentor(self, model: nn.Module) -> bool:
        return self.accepts(model)

    def check_mentor(self, student: nn.Module, mentor: nn.Module, name: str,
                     checkpoint_meta: Dict) -> None:
        """Raise a clear error if ``mentor`` cannot teach ``student``."""
        if not self.accepts_mentor(mentor):
            raise TypeError(f"mentor '{name}' is a {describe(mentor)}, which this classroom "
                            f'cannot read; supported: {self.supported}')

    def student_loss(self, student: nn.Module, inputs: Tensor,
                     data_samples: Sequence) -> Tuple[TaskLoss, Any]:
        """The student's own losses, from its ``loss()``, and the head output of that same
        forward pass (:meth:`recorded_output`)."""
        loss_module = self.loss_module(student)
        with recording_calls(self.output_module(student)) as output_calls, \
                recording_calls(loss_module) as loss_calls:
            losses = student.loss(inputs, data_samples)
        output = self.recorded_output(student, output_calls, loss_calls)
        head = type(self.output_module(student)).__name__
        return TaskLoss(losses, partial(self.task_loss_per_sample, loss_module, losses,
                                        loss_calls), head), output

    def recorded_output(self, student: nn.Module, output_calls: List[Call],
                        loss_calls: List[Call]) -> Any:
        """The head output the student's losses came from: what the one call of
        :meth:`output_module` returned."""
        return the_one_call(output_calls, self.output_module(student), 'the output').output

    def task_loss_per_sample(self, loss_module: Optional[nn.Module],
                             losses: Dict[str, Tensor], loss_calls: List[Call],
                             num_samples: int) -> Tuple[str, Tensor]:
        """The loss key holding the loss module's output, and (N,) each sample's loss
        from the one call of the loss module (:class:`~..core.TaskLoss`'s ``per_sample``)."""
        if loss_module is None:
            raise RuntimeError('it has no loss module')
        if len(loss_calls) != 1:
            raise RuntimeError(f'its loss module ran {len(loss_calls)} times in one loss()')
        [call] = loss_calls
        key = next((key for key, value in losses.items() if value is call.output), None)
        if key is None:
            raise RuntimeError("no loss key holds the loss module's output")
        return key, per_sample_losses(loss_module, call, num_samples)

    def output_module(self, model: nn.Module) -> nn.Module:
        """The submodule whose forward returns the outputs to distil (the head)."""
        return model.head

    def loss_module(self, model: nn.Module) -> Optional[nn.Module]:
        """The module that computes the task loss: the head's ``loss_module``, or the
        model's own (MMPretrain's ``TimmClassifier``)."""
        for owner in (self.output_module(model), model):
            module = getattr(owner, 'loss_module', None)
            if isinstance(module, nn.Module):
                return module
        return None

    def mentor_input_size(self, student: nn.Module, mentor: nn.Module,
                          configured: Optional[Tuple[int, int]]) -> Optional[Tuple[int, int]]:
        """The (H, W) the mentor's inputs are resized to; None keeps the student's."""
        return configured

    def align(self, mentor_output: Any, student_output: Any) -> Any:
        """The mentor output on the student's output grid."""
        return mentor_output

    def mentor_output(self, mentor: nn.Module, inputs: Tensor, data_samples: Sequence) -> Any:
        """The mentor's head output for the student's batch."""
        return mentor(inputs, data_samples, mode='tensor')

    def check_ground_truth(self, data_samples: Sequence) -> None:
        """Raise a clear error if the batch lacks what the ranking reads (labels, keypoints)."""
        raise NotImplementedError

    def logit_groups(self, output: Any) -> List[Tensor]:
        """The output as groups of logits (N, R, D), softmax over D."""
        raise NotImplementedError

    def row_weights(self, data_samples: Sequence, device: torch.device) -> List[Tensor]:
        """(N, R) weights of every row of every group."""
        raise NotImplementedError

    def confidences(self, outputs: List[Any], data_samples: Sequence) -> Tuple[Tensor, Tensor]:
        """(C, N) probability each model gives the ground truth, and (N,) valid samples."""
        raise NotImplementedError


def describe(model: nn.Module) -> str:
    head = getattr(model, 'head', None)
    return type(model).__name__ + (f' with a {type(head).__name__}' if head is not None else '')
