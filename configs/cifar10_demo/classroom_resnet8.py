# The demo classroom: a ResNet-8 student; ResNet-20 teacher; ResNet-14 and MobileNetV2 peers,
# each first trained alone by `make demo` (configs/cifar10_demo/standalone.py).
_base_ = ['./_base_.py']
model = dict(
    type='ClassroomKDDistiller',
    student=dict(type='CifarClassifier', arch='resnet8', num_classes=10),
    mentors=[
        dict(name=arch,
             model=dict(type='CifarClassifier', arch=arch, num_classes=10),
             checkpoint=f'work_dirs/cifar10_demo/{arch}/epoch_10.pth')
        for arch in ('resnet20', 'resnet14', 'mobilenetv2')
    ],
    kf=dict(enabled=True, ranking='softmax', granularity='batch', aggregate='geometric'),
    mentoring=dict(enabled=True, mode='adaptive', base_temperature=12.0),
    distill_weight=1.0)
