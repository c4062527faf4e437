# One model trained alone on CIFAR-100: a mentor to pretrain, or a student's NOKD baseline.
_base_ = ['./recipe_240e.py']
model = dict(type='CifarClassifier', num_classes=100)
