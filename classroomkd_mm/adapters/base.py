"""What the distiller needs from a task: outputs as logit groups, and confidence at the GT."""
from contextlib import contextmanager
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn


@contextmanager
def capture_forward(module: nn.Module):
    """Record what ``module.forward`` returns while the block runs.

    The student's task loss comes from its own ``loss()``; this lets the
    distiller reuse the head outputs of that same forward pass.
    """
    outputs: List[Any] = []
    original = module.forward

    def recording_forward(*args, **kwargs):
        result = original(*args, **kwargs)
        outputs.append(result)
        return result

    module.forward = recording_forward
    try:
        yield outputs
    finally:
        del module.forward


class TaskAdapter:
    """Reads a task's models. Subclasses know one family (classifiers, pose estimators)."""

    def __init__(self, student: nn.Module):
        del student  # adapters that depend on the student's head read it here

    @staticmethod
    def accepts(model: nn.Module) -> bool:
        """Whether this adapter can read ``model``."""
        raise NotImplementedError

    def check_mentor(self, student: nn.Module, mentor: nn.Module, name: str,
                     checkpoint_meta: Dict) -> None:
        """Raise a clear error if ``mentor`` cannot teach ``student``."""

    def student_loss(self, student: nn.Module, inputs: Tensor,
                     data_samples: Sequence) -> Tuple[Dict[str, Tensor], Any]:
        """The student's own losses and the head output of the same forward."""
        with capture_forward(self.output_module(student)) as outputs:
            losses = student.loss(inputs, data_samples)
        return losses, outputs[0]

    def output_module(self, model: nn.Module) -> nn.Module:
        """The submodule whose forward returns the outputs to distil (the head)."""
        return model.head

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
