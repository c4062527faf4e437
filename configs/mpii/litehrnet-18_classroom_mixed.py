# MPII classroom, "Mixed" peers: ShuffleNetV2 (82.8), MobileNetV2 (85.4) and ResNet-50 (88.2)
# beside the same HRNet-W32 + DARK teacher; everything else as in the "Same" classroom.
_base_ = ['./litehrnet-18_classroom_same.py']
model = dict(mentors=[
    dict(
        name='hrnet-w32_dark',
        config='mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
        'td-hm_hrnet-w32_dark-8xb64-210e_mpii-256x256.py',
        checkpoint='https://download.openmmlab.com/mmpose/top_down/'
        'hrnet/hrnet_w32_mpii_256x256_dark-f1601c5b_20200927.pth'),
    dict(
        name='shufflenetv2',
        config='mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
        'td-hm_shufflenetv2_8xb64-210e_mpii-256x256.py',
        checkpoint='https://download.openmmlab.com/mmpose/top_down/'
        'shufflenetv2/shufflenetv2_mpii_256x256-4fb9df2d_20200925.pth'),
    dict(
        name='mobilenetv2',
        config='mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
        'td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py',
        checkpoint='https://download.openmmlab.com/mmpose/top_down/'
        'mobilenetv2/mobilenetv2_mpii_256x256-e068afa7_20200812.pth'),
    dict(
        name='res50',
        config='mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
        'td-hm_res50_8xb64-210e_mpii-256x256.py',
        checkpoint='https://download.openmmlab.com/mmpose/top_down/'
        'resnet/res50_mpii_256x256-418ffc88_20200812.pth'),
])
