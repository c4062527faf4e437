# NOKD on the 210-epoch schedule: the classroom's student (MMPose's stock RTMPose-t
# model) alone, with exactly the rescaled schedule of rtmpose-t_classroom_210e.py.
_base_ = ['./rtmpose-t_classroom_210e.py']
model = dict(_delete_=True, **_base_.model.student)
log_processor = dict(type='LogProcessor')  # the stock one
