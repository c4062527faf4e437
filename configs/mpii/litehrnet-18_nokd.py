# NOKD: the student alone, exactly MMPose's stock LiteHRNet-18 MPII config.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_litehrnet-18_8xb64-210e_mpii-256x256.py']
