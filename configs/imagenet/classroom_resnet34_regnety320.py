# ImageNet classroom of the paper's Table 2b / Appendix A: ResNet-34 student (73.31);
# RegNetY-320 teacher (80.74); peers SqueezeNet 1.1 (58.18), MobileNetV2 (71.88),
# EfficientNet-B3 (78.54) and RegNetY-016 (77.67). 100 epochs (MMPretrain's ImageNet
# schedule), tau0 = 4 as in the authors' ImageNet setting.
#
# MMPretrain's zoo serves MobileNetV2 and EfficientNet-B3 (URLs below). RegNetY comes
# through MMPretrain's timm wrapper and SqueezeNet 1.1 through torchvision: put their
# published ImageNet weight files at the paths given (see README, "ImageNet mentors").
_base_ = ['mmpretrain::resnet/resnet34_8xb32_in1k.py']
custom_imports = dict(imports=['classroomkd_mm'], allow_failed_imports=False)

model = dict(
    _delete_=True,
    type='ClassroomKDDistiller',
    student={{_base_.model}},
    mentors=[
        dict(
            name='regnety_320',
            model=dict(type='TimmClassifier', model_name='regnety_320', num_classes=1000),
            checkpoint='checkpoints/imagenet/regnety_320.pth'),
        dict(
            name='squeezenet1_1',
            model=dict(type='TorchvisionClassifier', name='squeezenet1_1'),
            checkpoint='checkpoints/imagenet/squeezenet1_1-b8a52dc0.pth'),
        dict(
            name='mobilenet_v2',
            model=dict(
                type='ImageClassifier',
                backbone=dict(type='MobileNetV2', widen_factor=1.0),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=1000, in_channels=1280)),
            checkpoint='https://download.openmmlab.com/mmclassification/v0/mobilenet_v2/'
            'mobilenet_v2_batch256_imagenet_20200708-3b2dc3af.pth'),
        dict(
            name='efficientnet_b3',
            model=dict(
                type='ImageClassifier',
                backbone=dict(type='EfficientNet', arch='b3'),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=1000, in_channels=1536)),
            checkpoint='https://download.openmmlab.com/mmclassification/v0/efficientnet/'
            'efficientnet-b3_3rdparty_8xb32_in1k_20220119-4b4d7487.pth',
            input_size=300),
        dict(
            name='regnety_016',
            model=dict(type='TimmClassifier', model_name='regnety_016', num_classes=1000),
            checkpoint='checkpoints/imagenet/regnety_016.pth'),
    ],
    kf=dict(enabled=True, ranking='softmax', granularity='batch', aggregate='geometric'),
    mentoring=dict(enabled=True, mode='adaptive', base_temperature=4.0),
    distill_weight=1.0)
# Classroom telemetry in the logs; a one-line classroom summary on the console.
log_processor = dict(type='ClassroomLogProcessor')
