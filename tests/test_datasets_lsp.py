"""classroomkd_mm.datasets.lsp: the converter on the bundled slice, both joints.mat layouts,
and MMPose's own dataset and pipeline reading the result.

The slice (data/lsp_slice) is images 1-40 and 9,001-9,020 of the compact LSP Extended copy,
renumbered 1-60; the expected numbers below are read off its joints.mat by hand.
"""
import json
import os
import os.path as osp

import numpy as np
import pytest
from scipy.io import loadmat, savemat

from classroomkd_mm.datasets.lsp import convert
from runner_utils import DATA, REPO

SLICE = osp.join(DATA, 'lsp_slice')
METAINFO = dict(from_file=osp.join(REPO, 'configs', '_base_', 'datasets', 'lsp.py'))
# LSP's joint order: right leg, left leg, right arm, left arm, neck, head top.
FLIP_INDICES = [5, 4, 3, 2, 1, 0, 11, 10, 9, 8, 7, 6, 12, 13]


@pytest.fixture(scope='module')
def slice_json(lsp_slice_annotations):
    return {split: json.load(open(path)) for split, path in lsp_slice_annotations.items()}


def test_converter_splits_the_slice(slice_json):
    train, test = slice_json['train'], slice_json['test']
    assert [i['file_name'] for i in train['images']][:2] == ['im00001.jpg', 'im00002.jpg']
    assert len(train['images']) == len(train['annotations']) == 40
    assert [i['id'] for i in test['images']] == list(range(41, 61))
    [category] = train['categories']
    assert category['keypoints'][0] == 'right_ankle' and category['keypoints'][13] == 'head_top'


def test_converter_values_by_hand(slice_json):
    # Image 1 (128 x 86): joints.mat column 1 has the right ankle unannotated (flag 0, at
    # -0.0924, -21.4751), the right knee at (21.1303, 70.6836); the annotated joints span
    # x 18.7722 (left ankle) .. 113.3375 (left wrist), y 11.2165 (right wrist) .. 77.5472.
    image, ann = slice_json['train']['images'][0], slice_json['train']['annotations'][0]
    assert (image['width'], image['height']) == (128, 86)
    assert ann['keypoints'][:3] == [0, 0, 0]
    assert ann['keypoints'][3:6] == pytest.approx([21.1303, 70.6836, 2], abs=1e-3)
    assert ann['num_keypoints'] == 13
    assert ann['bbox'] == pytest.approx([18.7722, 11.2165, 94.5653, 66.3307], abs=1e-3)
    assert ann['area'] == pytest.approx(94.5653 * 66.3307, rel=1e-4)
    # Image 41 (original 9,001): the right arm is unannotated (three joints at -84.41,
    # -50.07); the rest span x 18.4224 .. 109.6307, y 17.0278 .. 85.7766.
    ann = slice_json['test']['annotations'][0]
    assert ann['keypoints'][18:27] == [0] * 9
    assert ann['num_keypoints'] == 11
    assert ann['bbox'] == pytest.approx([18.4224, 17.0278, 91.2083, 68.7488], abs=1e-3)


def test_converter_reads_the_original_lsp_layout(tmp_path, slice_json):
    """LSP's own joints.mat is 3 x 14 x N, every joint annotated, flag 1 = occluded;
    its images are im0001.jpg, ..."""
    joints = loadmat(osp.join(SLICE, 'joints.mat'))['joints'][:, :, :3]  # 14 x 3 x 3
    lsp = joints.transpose(1, 0, 2).copy()
    lsp[2] = 1 - lsp[2]  # LSPET's "annotated" flag read as LSP's "occluded" flag
    os.makedirs(tmp_path / 'images')
    savemat(tmp_path / 'joints.mat', {'joints': lsp})
    for index in range(1, 4):
        os.symlink(osp.join(SLICE, 'images', f'im{index:05d}.jpg'),
                   tmp_path / 'images' / f'im{index:04d}.jpg')
    paths = convert(str(tmp_path), str(tmp_path / 'out'), train_images=2)
    [ann] = json.load(open(paths['test']))['annotations']
    assert ann['image_id'] == 3
    keypoints = np.array(ann['keypoints']).reshape(14, 3)
    np.testing.assert_allclose(keypoints[:, :2], joints[:, :2, 2], atol=1e-3)
    # an LSP joint is always annotated: visible -> 2, occluded -> 1
    np.testing.assert_array_equal(keypoints[:, 2], np.where(joints[:, 2, 2] > 0, 2, 1))
    assert ann['num_keypoints'] == 14
    train = json.load(open(paths['train']))['annotations'][0]
    assert train['keypoints'][:3] == pytest.approx([-0.0924, -21.4751, 1], abs=1e-3)


def test_converter_refuses_a_wrong_matrix(tmp_path):
    os.makedirs(tmp_path / 'images')
    savemat(tmp_path / 'joints.mat', {'joints': np.zeros((16, 3, 2))})
    with pytest.raises(ValueError, match='expected 14x3xN or 3x14xN'):
        convert(str(tmp_path))


@pytest.fixture
def lsp_dataset(slice_json, tmp_path, pose_scope):
    from mmpose.datasets import CocoDataset

    def build(pipeline, split='train'):
        ann_file = tmp_path / f'{split}.json'
        ann_file.write_text(json.dumps(slice_json[split]))
        return CocoDataset(ann_file=str(ann_file), data_root=SLICE, metainfo=METAINFO,
                           data_prefix=dict(img='images/'), pipeline=pipeline)
    return build


def test_mmpose_pipeline_loads_the_slice(lsp_dataset):
    from classroomkd_mm.engine import read_config
    cfg = read_config(osp.join(REPO, 'configs', 'lsp', 'rtmpose-t_lsp-64x64.py'))
    assert len(lsp_dataset(cfg.train_dataloader.dataset.pipeline)[0]['inputs']) == 3
    # the test pipeline (no random transforms), with the training targets
    pipeline = list(cfg.val_dataloader.dataset.pipeline)
    pipeline.insert(-1, dict(type='GenerateTarget', encoder=cfg.codec))
    dataset = lsp_dataset(pipeline)
    assert len(dataset) == 40
    assert dataset.metainfo['num_keypoints'] == 14
    assert dataset.metainfo['flip_indices'] == FLIP_INDICES
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 64, 64)
    labels = sample['data_samples'].gt_instance_labels
    assert tuple(labels.keypoint_x_labels.shape) == (1, 14, 128)
    # unannotated joints weigh 0 in the loss and in the classroom's confidence
    assert labels.keypoint_weights[0, 0] == 0 and labels.keypoint_weights[0, 1] == 1


def test_horizontal_flip_swaps_left_and_right(lsp_dataset):
    dataset = lsp_dataset([dict(type='LoadImage'),
                           dict(type='RandomFlip', prob=1.0, direction='horizontal')])
    sample = dataset[0]  # image 1, 128 px wide
    keypoints, visible = sample['keypoints'][0], sample['keypoints_visible'][0]
    # the right-ankle slot now holds the mirrored left ankle (18.7722, 77.5472):
    # x = 128 - 1 - 18.7722 = 108.2278
    np.testing.assert_allclose(keypoints[0], [108.2278, 77.5472], atol=1e-3)
    # ... and the left-ankle slot the unannotated right ankle
    assert visible[0] == 1 and visible[5] == 0
    # the right wrist slot holds the mirrored left wrist (113.3375, 73.2831)
    np.testing.assert_allclose(keypoints[6], [127 - 113.3375, 73.2831], atol=1e-3)
    # neck and head top stay in their slots
    np.testing.assert_allclose(keypoints[12], [127 - 78.8968, 46.2770], atol=1e-3)


def test_shipped_archive_holds_lsp_extended_with_its_checksum():
    """data/lspet_128.tar.gz, the archive the benchmark, the demo and the mentor script
    unpack: the checksum data/README.md gives, and the original layout inside."""
    import hashlib
    import re
    import tarfile
    archive = osp.join(DATA, 'lspet_128.tar.gz')
    listed = re.search(r'`lspet_128\.tar\.gz`.*SHA-256 `([0-9a-f]{64})`',
                       open(osp.join(DATA, 'README.md')).read()).group(1)
    with open(archive, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == listed
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert 'lspet/joints.mat' in names
    assert sum(re.fullmatch(r'lspet/images/im\d{5}\.jpg', n) is not None for n in names) == 10000
