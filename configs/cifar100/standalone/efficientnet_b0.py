# EfficientNet-B0 (timm) on 32-pixel CIFAR-100; Table 4a's six mentors are six runs of it.
_base_ = ['../_base_/recipe_240e.py']
model = dict(type='TimmClassifier', model_name='efficientnet_b0', num_classes=100)
