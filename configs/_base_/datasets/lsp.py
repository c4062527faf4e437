# Leeds Sports Pose (LSP, 2,000 images) and LSP Extended (LSPET, 10,000 images): 14 joints,
# in the order of the datasets' own joints.mat (their README.txt). tools/data/lsp_to_coco.py
# converts either archive to COCO-style JSON that MMPose's CocoDataset reads with this file:
#     dataset=dict(type='CocoDataset', metainfo=dict(from_file='configs/_base_/datasets/lsp.py'))
# Sources of the numbers:
#   joint_weights: MMPose's MPII metainfo (configs/_base_/datasets/mpii.py) for the same joints
#     (LSP's neck is MPII's upper_neck);
#   sigmas: COCO's per-joint OKS sigmas for the twelve limb joints (MMPose's coco.py), and
#     CrowdPose's for neck and head top (MMPose's crowdpose.py: neck, top_head), since COCO
#     has neither. They only enter OKS-based metrics; this project evaluates with PCK.
dataset_info = dict(
    dataset_name='lsp',
    paper_info=dict(
        author='Sam Johnson and Mark Everingham',
        title='Learning Effective Human Pose Estimation from Inaccurate Annotation',
        container='IEEE Conference on Computer Vision and Pattern Recognition (CVPR)',
        year='2011',
        homepage='http://sam.johnson.io/research/lspet.html',
    ),
    keypoint_info={
        0: dict(name='right_ankle', id=0, color=[255, 128, 0], type='lower', swap='left_ankle'),
        1: dict(name='right_knee', id=1, color=[255, 128, 0], type='lower', swap='left_knee'),
        2: dict(name='right_hip', id=2, color=[255, 128, 0], type='lower', swap='left_hip'),
        3: dict(name='left_hip', id=3, color=[0, 255, 0], type='lower', swap='right_hip'),
        4: dict(name='left_knee', id=4, color=[0, 255, 0], type='lower', swap='right_knee'),
        5: dict(name='left_ankle', id=5, color=[0, 255, 0], type='lower', swap='right_ankle'),
        6: dict(name='right_wrist', id=6, color=[255, 128, 0], type='upper', swap='left_wrist'),
        7: dict(name='right_elbow', id=7, color=[255, 128, 0], type='upper', swap='left_elbow'),
        8: dict(name='right_shoulder', id=8, color=[255, 128, 0], type='upper',
                swap='left_shoulder'),
        9: dict(name='left_shoulder', id=9, color=[0, 255, 0], type='upper',
                swap='right_shoulder'),
        10: dict(name='left_elbow', id=10, color=[0, 255, 0], type='upper', swap='right_elbow'),
        11: dict(name='left_wrist', id=11, color=[0, 255, 0], type='upper', swap='right_wrist'),
        12: dict(name='neck', id=12, color=[51, 153, 255], type='upper', swap=''),
        13: dict(name='head_top', id=13, color=[51, 153, 255], type='upper', swap=''),
    },
    skeleton_info={
        0: dict(link=('right_ankle', 'right_knee'), id=0, color=[255, 128, 0]),
        1: dict(link=('right_knee', 'right_hip'), id=1, color=[255, 128, 0]),
        2: dict(link=('left_hip', 'left_knee'), id=2, color=[0, 255, 0]),
        3: dict(link=('left_knee', 'left_ankle'), id=3, color=[0, 255, 0]),
        4: dict(link=('right_hip', 'left_hip'), id=4, color=[51, 153, 255]),
        5: dict(link=('right_hip', 'right_shoulder'), id=5, color=[255, 128, 0]),
        6: dict(link=('left_hip', 'left_shoulder'), id=6, color=[0, 255, 0]),
        7: dict(link=('right_wrist', 'right_elbow'), id=7, color=[255, 128, 0]),
        8: dict(link=('right_elbow', 'right_shoulder'), id=8, color=[255, 128, 0]),
        9: dict(link=('left_shoulder', 'left_elbow'), id=9, color=[0, 255, 0]),
        10: dict(link=('left_elbow', 'left_wrist'), id=10, color=[0, 255, 0]),
        11: dict(link=('right_shoulder', 'neck'), id=11, color=[51, 153, 255]),
        12: dict(link=('left_shoulder', 'neck'), id=12, color=[51, 153, 255]),
        13: dict(link=('neck', 'head_top'), id=13, color=[51, 153, 255]),
    },
    joint_weights=[1.5, 1.2, 1., 1., 1.2, 1.5, 1.5, 1.2, 1., 1., 1.2, 1.5, 1., 1.],
    sigmas=[0.089, 0.087, 0.107, 0.107, 0.087, 0.089, 0.062, 0.072, 0.079, 0.079, 0.072, 0.062,
            0.079, 0.079])
