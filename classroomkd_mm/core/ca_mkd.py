"""CA-MKD's confidence-aware mentor weights (docs/method.md, "CA-MKD (logits), a baseline").

Zhang, Chen and Wang, "Confidence-Aware Multi-Teacher Knowledge Distillation", ICASSP 2022:
each of the ``K`` mentors gets, per sample, a weight from its cross-entropy
``L_k = −log p_k(y)`` against the ground truth,

    ``w_k = (1 − exp(L_k) / Σ_j exp(L_j)) / (K − 1)``,

so a more confident mentor weighs more and the weights sum to 1 (``w = 1`` when ``K = 1``).
Since ``exp(L_k) = 1 / p_k``, the weights come from the confidences the adapters already
hand the classroom loss. Classification: ``p_k`` is ``softmax(z^k)[y]`` at temperature 1,
so ``L_k`` is CA-MKD's cross-entropy exactly (with soft labels, mixup or cutmix, the
adapter's expected probability ``Σ_c y_c p_c`` stands in for ``exp(−L_k)``). Pose: ``p_k`` is the mentor's keypoint
confidence at the ground truth (a heatmap value or SimCC probability, averaged over the
visible keypoints), read as the likelihood of the ground truth; the formula is the same.
"""
from typing import Optional

import torch
from torch import Tensor

EPS = 1e-12


def ca_mkd_weights(confidence: Tensor, taking_part: Optional[Tensor] = None) -> Tensor:
    """CA-MKD's per-sample mentor weights, (K, N), from confidences ``p_k`` (K, N).

    ``taking_part`` (K, N) bool, when given, leaves mentors out per sample: they weigh 0
    and ``K`` counts only the others. Confidences are clamped to at least 1e-12.
    """
    if taking_part is None:
        taking_part = torch.ones_like(confidence, dtype=torch.bool)
    exp_cross_entropy = torch.where(taking_part, 1 / confidence.clamp_min(EPS),
                                    torch.zeros_like(confidence))
    share = exp_cross_entropy / exp_cross_entropy.sum(0, keepdim=True).clamp_min(EPS)
    count = taking_part.sum(0, keepdim=True).to(confidence.dtype)
    weights = torch.where(count > 1, (1 - share) / (count - 1).clamp_min(1),
                          torch.ones_like(share))
    return torch.where(taking_part, weights, torch.zeros_like(weights))
