"""Shared by the tests of pose classrooms: stock MMPose model configs made CPU-ready, data
samples in a head's own encoding, and mentors with local weights."""
import torch
from mmengine.registry import MODELS

from classroomkd_mm.engine import read_config
from runner_utils import no_sync_bn_no_pretrained, save_zoo_checkpoint, walk

MPII = 'mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
COCO = 'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
RTMPOSE = 'mmpose::body_2d_keypoint/rtmpose/'


def model_cfg(config_path):
    """The model of a config file, without SyncBN or pretrained downloads."""
    return walk(read_config(config_path).model, no_sync_bn_no_pretrained)


def with_local_mentors(cfg, tmp_path):
    """Mentors cannot be downloaded here: each gets a seeded random checkpoint file."""
    for index, mentor in enumerate(cfg.model.mentors):
        torch.manual_seed(index)
        model = MODELS.build(model_cfg(mentor.config))
        mentor.checkpoint = save_zoo_checkpoint(model, str(tmp_path / f'{mentor.name}.pth'))
    return cfg


def pose_samples(student, keypoint_weights, seed=0):
    """Data samples with random targets in the student head's own encoding."""
    from mmengine.structures import InstanceData, PixelData
    from mmpose.structures import PoseDataSample
    generator = torch.Generator().manual_seed(seed)
    head, samples = student.head, []
    num_keypoints = head.out_channels
    for weights in keypoint_weights:
        sample = PoseDataSample(metainfo=dict(input_size=student.head.decoder.input_size))
        labels = InstanceData(keypoint_weights=torch.tensor([weights]).float())
        if hasattr(head, 'simcc_split_ratio'):
            width, height = (int(s * head.simcc_split_ratio) for s in head.decoder.input_size)
            labels.keypoint_x_labels = torch.rand(1, num_keypoints, width, generator=generator)
            labels.keypoint_y_labels = torch.rand(1, num_keypoints, height, generator=generator)
        else:
            width, height = head.decoder.heatmap_size
            sample.gt_fields = PixelData(heatmaps=torch.rand(num_keypoints, height, width,
                                                             generator=generator))
        sample.gt_instance_labels = labels
        samples.append(sample)
    return samples
