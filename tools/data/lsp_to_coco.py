"""Convert LSP or LSP Extended (images + ``joints.mat``) to MMPose's COCO-style keypoint JSON.

    python tools/data/lsp_to_coco.py ROOT [--out DIR] [--train-images N]

``ROOT`` is the unpacked archive: ``ROOT/joints.mat`` and ``ROOT/images/im*.jpg``
(LSP: ``im0001.jpg`` ..., LSP Extended: ``im00001.jpg`` ...). The original
full-resolution archives and the project's compact copy (``lspet_128.tar.gz``)
have this layout. It writes ``lsp_train.json`` (images 1..N) and
``lsp_test.json`` (the rest) into ``--out`` (default ``ROOT/annotations``);
their ``file_name`` is relative to ``ROOT/images``.

``joints.mat`` holds one matrix, ``joints``, in either layout:

* 14 x 3 x N (LSP Extended): x, y and a flag that is 1 for an annotated joint
  and 0 for a joint that was not annotated (its coordinates are meaningless);
* 3 x 14 x N (the original 2,000-image LSP): every joint is annotated, and the
  flag is 1 for an occluded joint and 0 for a visible one.

COCO flags: 2 = annotated and visible, 1 = annotated but occluded, 0 = not
annotated (coordinates written as 0). The box of a person is the extent of its
annotated joints, clipped to the image; MMPose's ``GetBBoxCenterScale`` pads it
(x1.25) when it crops. Coordinates are kept as the archive gives them.
"""
import argparse
import json
import os
import os.path as osp
import re
from typing import Dict, List, Tuple

import numpy as np

NUM_JOINTS = 14
# Default split: LSP Extended's first 9,000 images train; LSP's official 1,000/1,000.
DEFAULT_TRAIN_IMAGES = {10000: 9000, 2000: 1000}


def load_joints(mat_path: str) -> np.ndarray:
    """``joints.mat`` as (N, 14, 3) x, y, COCO flag, in either layout."""
    from scipy.io import loadmat
    joints = np.asarray(loadmat(mat_path)['joints'], dtype=np.float64)
    if joints.ndim != 3:
        raise ValueError(f'{mat_path}: joints has shape {joints.shape}, expected 14x3xN or 3x14xN')
    if joints.shape[:2] == (NUM_JOINTS, 3):  # LSP Extended: flag 1 = annotated
        joints = joints.transpose(2, 0, 1)
        annotated = joints[..., 2] > 0
        flags = np.where(annotated, 2, 0)
    elif joints.shape[:2] == (3, NUM_JOINTS):  # LSP: every joint annotated, flag 1 = occluded
        joints = joints.transpose(2, 1, 0)
        annotated = np.ones(joints.shape[:2], dtype=bool)
        flags = np.where(joints[..., 2] > 0, 1, 2)
    else:
        raise ValueError(f'{mat_path}: joints has shape {joints.shape}, expected 14x3xN or 3x14xN')
    xy = np.where(annotated[..., None], joints[..., :2], 0.0)
    return np.concatenate([xy, flags[..., None]], axis=-1)


def image_files(images_dir: str) -> List[str]:
    """``im<number>.jpg`` names sorted by number: image i is column i of ``joints``."""
    names = [n for n in os.listdir(images_dir) if re.fullmatch(r'im\d+\.jpg', n)]
    return sorted(names, key=lambda n: int(n[2:-4]))


def person_bbox(keypoints: np.ndarray, width: int, height: int) -> List[float]:
    """COCO ``[x, y, w, h]`` of the annotated joints (flag > 0), clipped to the image."""
    xy = keypoints[keypoints[:, 2] > 0, :2]
    x1, y1 = np.clip(xy.min(0), 0, [width - 1, height - 1])
    x2, y2 = np.clip(xy.max(0), 0, [width - 1, height - 1])
    return [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]


def coco_record(index: int, file_name: str, size: Tuple[int, int],
                keypoints: np.ndarray) -> Tuple[Dict, Dict]:
    """The COCO ``image`` and ``annotation`` of image ``index`` (1-based id)."""
    width, height = size
    bbox = person_bbox(keypoints, width, height)
    image = dict(id=index, file_name=file_name, width=width, height=height)
    annotation = dict(
        id=index, image_id=index, category_id=1, iscrowd=0,
        keypoints=[round(float(v), 3) for v in keypoints.reshape(-1)],
        num_keypoints=int((keypoints[:, 2] > 0).sum()),
        bbox=[round(v, 3) for v in bbox], area=round(bbox[2] * bbox[3], 3))
    return image, annotation


def categories() -> List[Dict]:
    from mmengine.config import Config
    meta = Config.fromfile(osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_',
                                    'datasets', 'lsp.py')).dataset_info
    names = [meta.keypoint_info[i]['name'] for i in range(NUM_JOINTS)]
    skeleton = [[names.index(a) + 1, names.index(b) + 1]
                for a, b in (link['link'] for link in meta.skeleton_info.values())]
    return [dict(id=1, name='person', supercategory='person', keypoints=names,
                 skeleton=skeleton)]


def convert(root: str, out: str = None, train_images: int = None) -> Dict[str, str]:
    """Write ``lsp_train.json`` and ``lsp_test.json``; return their paths by split."""
    from PIL import Image
    joints = load_joints(osp.join(root, 'joints.mat'))
    files = image_files(osp.join(root, 'images'))
    if len(files) != len(joints):
        raise ValueError(f'{root}: {len(files)} images but joints.mat has {len(joints)} people')
    if train_images is None:
        if len(files) not in DEFAULT_TRAIN_IMAGES:
            raise ValueError(f'{root}: {len(files)} images; give --train-images')
        train_images = DEFAULT_TRAIN_IMAGES[len(files)]
    out = out or osp.join(root, 'annotations')
    os.makedirs(out, exist_ok=True)
    splits = dict(train=dict(images=[], annotations=[], categories=categories()),
                  test=dict(images=[], annotations=[], categories=categories()))
    for index, (name, keypoints) in enumerate(zip(files, joints), start=1):
        with Image.open(osp.join(root, 'images', name)) as image:
            size = image.size
        image, annotation = coco_record(index, name, size, keypoints)
        split = splits['train' if index <= train_images else 'test']
        split['images'].append(image)
        split['annotations'].append(annotation)
    paths = {}
    for split, content in splits.items():
        paths[split] = osp.join(out, f'lsp_{split}.json')
        with open(paths[split], 'w') as f:
            json.dump(content, f)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='folder holding joints.mat and images/')
    parser.add_argument('--out', help='output folder (default ROOT/annotations)')
    parser.add_argument('--train-images', type=int,
                        help='images 1..N train, the rest test (default: 9000 of LSP '
                        'Extended\'s 10,000, 1000 of LSP\'s 2,000)')
    args = parser.parse_args()
    for split, path in convert(args.root, args.out, args.train_images).items():
        print(f'{split}: {path}')


if __name__ == '__main__':
    main()
