# The COCO classroom on the paper's 210-epoch budget ("For pose datasets, models are
# trained for 210 epochs"). The stock RTMPose-t recipe has 420 epochs: a 1000-iteration
# warm-up, a cosine decay over the second half (epochs 210-420) and a switch to the
# lighter stage-2 pipeline for the last 30 epochs. Both are rescaled to 210 epochs:
# cosine from epoch 105 to 210, pipeline switch at epoch 180. Everything else (mentors,
# ranks, temperatures, optimizer) is rtmpose-t_classroom.py's.
_base_ = ['./rtmpose-t_classroom.py']

max_epochs = 210
stage2_num_epochs = _base_.stage2_num_epochs  # 30, as in the stock recipe
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    _base_.param_scheduler[0],  # the stock 1000-iteration linear warm-up
    dict(_base_.param_scheduler[1],  # cosine over the second half
         begin=max_epochs // 2, end=max_epochs, T_max=max_epochs // 2),
]
custom_hooks = [
    dict(hook, switch_epoch=max_epochs - stage2_num_epochs)
    if hook.type == 'mmdet.PipelineSwitchHook' else hook
    for hook in _base_.custom_hooks
]
