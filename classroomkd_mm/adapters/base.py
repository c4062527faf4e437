"""What the distiller needs from a task: outputs as logit groups, confidence at the GT,
inputs in each mentor's own form, and the task loss per sample (Eq. 10)."""
import logging
from contextlib import contextmanager, nullcontext
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from torch import Tensor, nn
from torch.utils._pytree import tree_flatten, tree_unflatten

from ..core import sample_mean

EPS = 1e-12


class Call(NamedTuple):
    """One recorded call of a module: what it was given and what it returned."""
    args: tuple
    kwargs: dict
    output: Any


@contextmanager
def recording_calls(module: nn.Module):
    """Record every call of ``module`` (its ``forward``) while the block runs.

    The student's task loss comes from its own ``loss()``; this lets the
    distiller reuse the head outputs of that same forward pass, and the call
    of the head's loss module.
    """
    calls: List[Call] = []
    original = module.forward

    def recording_forward(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(Call(args, kwargs, result))
        return result

    module.forward = recording_forward
    try:
        yield calls
    finally:
        del module.forward


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
        for index, tensor in zip(split, tensors):
            sample_leaves[index] = tensor.unsqueeze(0)
        args, sample_kwargs = tree_unflatten(sample_leaves, spec)
        return loss_module(*args, **sample_kwargs).reshape(())

    return torch.func.vmap(one_sample)(*[leaves[index] for index in split])


class TaskAdapter:
    """Reads a task's models. Subclasses know one family (classifiers, pose estimators).

    ``input_convention`` is how a mentor's input crop relates to the student's
    when their sizes differ (see ``core/resample.py``).
    """
    input_convention = 'grid'
    supported = ''  # the models the adapter reads, for error messages

    def __init__(self, student: nn.Module):
        self.per_sample_failure: Optional[str] = None

    @staticmethod
    def accepts(model: nn.Module) -> bool:
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

    def student_loss(self, student: nn.Module, inputs: Tensor, data_samples: Sequence
                     ) -> Tuple[Dict[str, Tensor], Any, List[Call]]:
        """The student's own losses, the head output of the same forward, and the calls
        of its loss module."""
        loss_module = self.loss_module(student)
        with recording_calls(self.output_module(student)) as outputs, \
                (nullcontext([]) if loss_module is None else recording_calls(loss_module)) \
                as loss_calls:
            losses = student.loss(inputs, data_samples)
        return losses, outputs[0].output, loss_calls

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

    def weigh_per_sample(self, student: nn.Module, losses: Dict[str, Tensor],
                         loss_calls: List[Call], weights: Tensor,
                         valid: Tensor) -> Dict[str, Tensor]:
        """Eq. 10's task term per sample: the task loss with each sample weighted by its
        own ``r^s_i`` (``weights``, (N,)).

        The loss key whose value is the loss module's output becomes
        ``(L / Σ_i L_i) · Σ_i w_i L_i``, with ``L_i`` each sample's loss from the
        head's own loss module: the head's scaling (mean or sum over samples)
        stays, and the ratio is a constant. Other ``loss`` keys, or all of them
        when a head's loss cannot be split per sample (one warning says why),
        take the mean weight over the valid samples.
        """
        mean_weight = sample_mean(weights, valid)
        weighted = {key: value * mean_weight if 'loss' in key else value
                    for key, value in losses.items()}
        if self.per_sample_failure is None:
            try:
                key, per_sample = self._task_loss_per_sample(student, losses, loss_calls,
                                                             len(weights))
            except Exception as error:  # reported once, below; the step still trains
                self.per_sample_failure = f'{type(error).__name__}: {error}'
                head = type(self.output_module(student)).__name__
                print_log(f"granularity='sample': the task loss of {head} cannot be split per "
                          f'sample ({self.per_sample_failure}); it is weighted by the mean '
                          'student rank over the batch instead', logger='current',
                          level=logging.WARNING)
            else:
                ratio = (losses[key] / per_sample.sum().clamp_min(EPS)).detach()
                weighted[key] = ratio * (weights.to(per_sample.dtype) * per_sample).sum()
        return weighted

    def _task_loss_per_sample(self, student, losses, loss_calls, num_samples):
        if len(loss_calls) != 1:
            raise RuntimeError(f'its loss module ran {len(loss_calls)} times in one loss()')
        [call] = loss_calls
        key = next((key for key, value in losses.items() if value is call.output), None)
        if key is None:
            raise RuntimeError('no loss key holds the loss module\'s output')
        return key, per_sample_losses(self.loss_module(student), call, num_samples)

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

    def is_finite(self, output: Any) -> Tensor:
        """A 0-dim bool tensor: every value of the output is finite."""
        return torch.stack([torch.isfinite(g).all() for g in self.logit_groups(output)]).all()


def describe(model: nn.Module) -> str:
    head = getattr(model, 'head', None)
    return type(model).__name__ + (f' with a {type(head).__name__}' if head is not None else '')
