# The CRD schedule (Tian et al., ICLR 2020), the convention of the KD benchmarks whose
# numbers the paper quotes: lr 0.05 until epoch 150, then x0.1 at epochs 150, 180 and 210.
# Appendix A's CIFAR-100 mentor accuracies and Table 1's NOKD row are CRD's published
# numbers, so the standalone (mentor and NOKD) configs train with it. Everything else is
# recipe_240e.py's.
_base_ = ['./recipe_240e.py']
param_scheduler = [
    dict(type='MultiStepLR', milestones=[150, 180, 210], gamma=0.1, by_epoch=True),
]
