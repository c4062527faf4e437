# One model trained alone on CIFAR-100: a mentor to pretrain, or a student's NOKD baseline,
# on the CRD schedule (recipe_240e_crd.py) that produced the paper's mentor and NOKD numbers.
_base_ = ['./recipe_240e_crd.py']
model = dict(type='ckd.build_cifar_classifier', num_classes=100)
