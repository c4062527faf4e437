# EfficientNet-B0 on 32-pixel CIFAR-100: timm's network with the stem stride set to 1, as
# the authors did (its last map stays 2x2; timm's stride-2 stem leaves 1x1). Table 4's
# graded mentors are checkpoints of one run of this config, on the classrooms' schedule,
# saved every epoch:
#   python tools/train.py configs/cifar100/standalone/efficientnet_b0.py \
#       --cfg-options default_hooks.checkpoint.interval=1 default_hooks.checkpoint.max_keep_ckpts=-1
#   python tools/pick_graded_mentors.py work_dirs/efficientnet_b0
_base_ = ['../_base_/recipe_240e.py', '../_base_/mentor_zoo.py']
model = {{_base_.cifar100_mentors.efficientnet_b0_teacher.model}}
