# The CRD schedule (Tian et al., ICLR 2020), the convention of the KD benchmarks whose
# numbers the paper quotes: lr 0.05 until epoch 150, then x0.1 at epochs 150, 180 and 210.
# Most of Appendix A's CIFAR-100 teacher accuracies (R110 74.31, R32x4 79.42, VGG13 74.64,
# W-40-2 75.61, R50 79.34) and of Table 1's NOKD row (R20 69.06, R32 71.14, MBV2 64.60,
# SN-V1 70.50, SN-V2 71.82) are the numbers CRD published, so the standalone (mentor and
# NOKD) configs train with it. Everything else is recipe_240e.py's.
_base_ = ['./recipe_240e.py']
param_scheduler = [
    dict(type='MultiStepLR', milestones=[150, 180, 210], gamma=0.1, by_epoch=True),
]
