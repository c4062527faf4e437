# NOKD: the student alone, exactly MMPose's stock RTMPose-t config.
_base_ = ['mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py']
