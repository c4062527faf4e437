# The COCO classroom end to end on the bundled COCO sample (data/coco_mini: 28 training
# images with 86 people, 32 validation images with 68): `make demo-pose`.
# No weights can be downloaded here, so the mentors are UNTRAINED (random weights) and the
# student starts from scratch: this shows the pipeline running (ranks, temperatures,
# COCO AP), not a result. With the zoo checkpoints of rtmpose-t_classroom.py it is the
# real classroom.
_base_ = ['./rtmpose-t_classroom.py']
rtmpose_configs = 'mmpose::body_2d_keypoint/rtmpose/coco/'
model = dict(
    student=dict(backbone=dict(init_cfg=None)),
    mentors=[
        dict(name='rtmpose-l_aic-coco',
             config=rtmpose_configs + 'rtmpose-l_8xb256-420e_aic-coco-256x192.py'),
        dict(name='rtmpose-s', config=rtmpose_configs + 'rtmpose-s_8xb256-420e_coco-256x192.py'),
        dict(name='rtmpose-m', config=rtmpose_configs + 'rtmpose-m_8xb256-420e_coco-256x192.py'),
        dict(name='rtmpose-l', config=rtmpose_configs + 'rtmpose-l_8xb256-420e_coco-256x192.py'),
    ])

data_root = 'data/coco_mini/'
train_dataloader = dict(
    batch_size=16, num_workers=2,
    dataset=dict(data_root=data_root, ann_file='annotations/person_keypoints_train2017.json',
                 data_prefix=dict(img='train2017/')))
val_dataloader = dict(
    batch_size=16, num_workers=2,
    dataset=dict(data_root=data_root, ann_file='annotations/person_keypoints_val2017.json',
                 data_prefix=dict(img='val2017/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/person_keypoints_val2017.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
work_dir = 'work_dirs/coco_mini_demo'
