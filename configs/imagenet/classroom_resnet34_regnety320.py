# ImageNet classroom of the paper's Table 2b / Appendix A: ResNet-34 student (73.31);
# RegNetY-320 teacher (80.74); peers SqueezeNet 1.1 (58.18), MobileNetV2 (71.88),
# EfficientNet-B3 (78.54) and RegNetY-016 (77.67). 100 epochs (MMPretrain's ImageNet
# schedule), tau0 = 4 as in the authors' ImageNet setting.
#
# Where each mentor's weights come from (README, "ImageNet mentors"):
# - RegNetY-320 and RegNetY-016: timm's `regnety_320.pycls_in1k` and `regnety_016.pycls_in1k`
#   (the original pycls weights). timm's untagged names now mean the `tv2_in1k` weights
#   (torchvision's IMAGENET1K_V2: 83.37 % and 80.88 %), not the paper's. Save their state
#   dicts on a machine with internet, e.g.
#   torch.save(timm.create_model('regnety_320.pycls_in1k', pretrained=True).state_dict(),
#              'checkpoints/imagenet/regnety_320.pycls_in1k.pth')
# - SqueezeNet 1.1: torchvision's file (58.18 %, the paper's number), by its URL.
# - MobileNetV2 and EfficientNet-B3: MMPretrain's zoo. MobileNetV2 is MMPretrain's own
#   training (71.86 %), not torchvision's IMAGENET1K_V1 (71.88 %, the paper's number).
#   EfficientNet-B3 is MMPretrain's port of the TensorFlow weights, run at 300 px (81.01 %
#   in MMPretrain's metafile): stronger than the paper's 78.54 %, whose source the paper
#   does not name.
_base_ = ['mmpretrain::resnet/resnet34_8xb32_in1k.py']
custom_imports = dict(imports=['classroomkd_mm'], allow_failed_imports=False)
# the Runner's checkpoints save and resume under torch's weights_only loads (README, Checkpoints)
default_hooks = dict(weights_only_checkpoints=dict(type='ckd.WeightsOnlyCheckpointHook'))

model = dict(
    _delete_=True,
    type='ClassroomKDDistiller',
    student={{_base_.model}},
    mentors=[
        dict(
            name='regnety_320',
            model=dict(type='TimmClassifier', model_name='regnety_320.pycls_in1k',
                       num_classes=1000),
            checkpoint='checkpoints/imagenet/regnety_320.pycls_in1k.pth'),
        dict(
            name='squeezenet1_1',
            model=dict(type='ckd.TorchvisionClassifier', name='squeezenet1_1'),
            checkpoint='https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth'),
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
            model=dict(type='TimmClassifier', model_name='regnety_016.pycls_in1k',
                       num_classes=1000),
            checkpoint='checkpoints/imagenet/regnety_016.pycls_in1k.pth'),
    ],
    kf=dict(enabled=True, ranking='softmax', granularity='batch', aggregate='geometric'),
    mentoring=dict(enabled=True, mode='adaptive', base_temperature=4.0),
    distill_weight=1.0)
# Classroom telemetry in the logs; a one-line classroom summary on the console.
log_processor = dict(type='ckd.ClassroomLogProcessor')
