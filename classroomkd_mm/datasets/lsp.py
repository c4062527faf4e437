"""LSP and LSP Extended (images + ``joints.mat``) in MMPose's COCO-style keypoint format.

An archive (the project's compact copy ``data/lspet_128.tar.gz``, or the original
``lspet_dataset.zip``) unpacks to ``ROOT/joints.mat`` and ``ROOT/images/im*.jpg``
(LSP: ``im0001.jpg`` ..., LSP Extended: ``im00001.jpg`` ...). :func:`convert` writes
``lsp_train.json`` (images 1..N) and ``lsp_test.json`` (the rest), whose ``file_name`` is
relative to ``ROOT/images``; :func:`prepare` unpacks and converts once.

``joints.mat`` holds one matrix, ``joints``, in either layout:

* 14 x 3 x N (LSP Extended): x, y and a flag that is 1 for an annotated joint and 0 for a
  joint that was not annotated (its coordinates are meaningless);
* 3 x 14 x N (the original 2,000-image LSP): every joint is annotated, and the flag is 1
  for an occluded joint and 0 for a visible one.

COCO flags: 2 = annotated and visible, 1 = annotated but occluded, 0 = not annotated
(coordinates written as 0). The box of a person is the extent of its annotated joints,
clipped to the image; MMPose's ``GetBBoxCenterScale`` pads it (x1.25) when it crops.
Coordinates are kept as the archive gives them.
"""
import json
import os
import os.path as osp
import re
import shutil
import tarfile
import tempfile
import zipfile
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..compat import extract_tar

NUM_JOINTS = 14
# Default split: LSP Extended's first 9,000 images train; LSP's official 1,000/1,000.
DEFAULT_TRAIN_IMAGES = {10000: 9000, 2000: 1000}
ANNOTATIONS = ('annotations/lsp_train.json', 'annotations/lsp_test.json')
# The validation split: the last 1,000 of LSP Extended's 9,000 training images (images
# 8,001-9,000), held out of the students' training images, which are the first ones.
VAL_IMAGES = 1000


def metainfo_file() -> str:
    """The 14-joint metainfo: names, flip pairs, skeleton, weights and sigmas."""
    from ..experiments.methods import configs_dir
    return osp.join(configs_dir(), '_base_', 'datasets', 'lsp.py')


def keypoint_names() -> Dict[int, str]:
    """Joint index -> name, in LSP's order (right ankle first, head top last)."""
    from mmengine.config import Config
    info = Config.fromfile(metainfo_file()).dataset_info
    return {i: info.keypoint_info[i]['name'] for i in range(len(info.keypoint_info))}


def load_joints(mat_path: str) -> np.ndarray:
    """``joints.mat`` as (N, 14, 3) x, y, COCO flag, in either layout."""
    from scipy.io import loadmat
    joints = np.asarray(loadmat(mat_path)['joints'], dtype=np.float64)
    if joints.ndim == 3 and joints.shape[:2] == (NUM_JOINTS, 3):  # LSPET: 1 = annotated
        joints = joints.transpose(2, 0, 1)
        annotated = joints[..., 2] > 0
        flags = np.where(annotated, 2, 0)
    elif joints.ndim == 3 and joints.shape[:2] == (3, NUM_JOINTS):  # LSP: 1 = occluded
        joints = joints.transpose(2, 1, 0)
        annotated = np.ones(joints.shape[:2], dtype=bool)
        flags = np.where(joints[..., 2] > 0, 1, 2)
    else:
        raise ValueError(f'{mat_path}: joints has shape {joints.shape}, expected 14x3xN or 3x14xN')
    xy = np.where(annotated[..., None], joints[..., :2], 0.0)
    return np.concatenate([xy, flags[..., None]], axis=-1)


def validation_indices(train_images: int = DEFAULT_TRAIN_IMAGES[10000],
                       val_images: int = VAL_IMAGES) -> List[int]:
    """The validation split as entries of ``lsp_train.json`` (MMPose's ``indices``): its last
    ``val_images`` (one person per image, in image order)."""
    return list(range(train_images - val_images, train_images))


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
    """The one COCO category, ``person``, with LSP's joint names and skeleton."""
    from mmengine.config import Config
    skeleton_info = Config.fromfile(metainfo_file()).dataset_info.skeleton_info
    names = list(keypoint_names().values())
    skeleton = [[names.index(a) + 1, names.index(b) + 1]
                for a, b in (link['link'] for link in skeleton_info.values())]
    return [dict(id=1, name='person', supercategory='person', keypoints=names,
                 skeleton=skeleton)]


def convert(root: str, out: Optional[str] = None,
            train_images: Optional[int] = None) -> Dict[str, str]:
    """Write ``lsp_train.json`` and ``lsp_test.json`` into ``out`` (default
    ``ROOT/annotations``); return their paths by split."""
    from PIL import Image
    joints = load_joints(osp.join(root, 'joints.mat'))
    files = image_files(osp.join(root, 'images'))
    if len(files) != len(joints):
        raise ValueError(f'{root}: {len(files)} images but joints.mat has {len(joints)} people')
    if train_images is None:
        if len(files) not in DEFAULT_TRAIN_IMAGES:
            raise ValueError(f'{root}: {len(files)} images; give the number of training images')
        train_images = DEFAULT_TRAIN_IMAGES[len(files)]
    out = out or osp.join(root, 'annotations')
    os.makedirs(out, exist_ok=True)
    splits = {split: dict(images=[], annotations=[], categories=categories())
              for split in ('train', 'test')}
    for index, (name, keypoints) in enumerate(zip(files, joints, strict=True), start=1):
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


def find_root(folder: str) -> str:
    """The folder under ``folder`` that holds ``joints.mat``."""
    for current, _, files in os.walk(folder):
        if 'joints.mat' in files:
            return current
    raise FileNotFoundError(f'no joints.mat under {folder}')


def unpack(archive: str, out: str) -> None:
    """Unpack a zip or tar ``archive`` and move the folder holding ``joints.mat`` to ``out``."""
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    unpacked = tempfile.mkdtemp(dir=osp.dirname(osp.abspath(out)))
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as f:
            f.extractall(unpacked)
    else:
        with tarfile.open(archive) as f:
            extract_tar(f, unpacked)
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(find_root(unpacked), out)
    shutil.rmtree(unpacked)


def prepare(archive: str, out: str) -> str:
    """``out`` with ``images/`` and COCO-style annotations; skipped when already there.

    ``archive`` is a zip or tar archive, or a folder already holding ``joints.mat`` and
    ``images/``, which is converted in place (``out`` then links to it).
    """
    if all(osp.isfile(osp.join(out, a)) for a in ANNOTATIONS):
        return out
    if osp.isdir(archive):
        root = find_root(archive)
    elif osp.isfile(archive):
        unpack(archive, out)
        root = out
    else:
        raise FileNotFoundError(
            f'LSP Extended not found at {archive}: download lspet_dataset.zip '
            '(http://sam.johnson.io/research/lspet.html) and pass --archive')
    convert(root, osp.join(out, 'annotations'))
    if osp.abspath(root) != osp.abspath(out):
        os.makedirs(out, exist_ok=True)
        for name in ('images', 'joints.mat'):
            if not osp.exists(osp.join(out, name)):
                os.symlink(osp.abspath(osp.join(root, name)), osp.join(out, name))
    return out
