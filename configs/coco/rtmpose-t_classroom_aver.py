# Table 2c's AVER baseline: every mentor at one fixed temperature, weight 1/lambda.
# (NOKD is MMPose's own rtmpose-t_8xb256-420e_coco-256x192.py; see rtmpose-t_nokd.py.)
_base_ = ['./rtmpose-t_classroom.py']
model = dict(kf=dict(enabled=False), mentoring=dict(enabled=False), rank_weights=False)
