_base_ = ['../_base_/standalone.py']
model = dict(arch='resnet8')
