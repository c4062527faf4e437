"""datasets.cifar10: the bundled JPEGs unpacked for CustomDataset, decoded into memory, and
cropped and flipped on the device exactly as the Runner's image pipeline does."""
import glob
import os.path as osp

import pytest
import torch

from classroomkd_mm.datasets.cifar10 import (CIFAR10InMemory, RandomCropFlip, crop_flip,
                                             load_split, normalised_black, random_crop_flip,
                                             wrong_labels)
from runner_utils import DATA

ARCHIVE = osp.join(DATA, 'cifar10_jpg.tar.gz')


def test_in_memory_items_are_what_the_runner_pipeline_packs(cifar10_tiny, pretrain_scope):
    from mmpretrain.datasets import CustomDataset
    dataset = CustomDataset(data_root=cifar10_tiny, data_prefix='test', pipeline=[
        dict(type='LoadImageFromFile'), dict(type='PackInputs')])
    in_memory = CIFAR10InMemory('test', source=cifar10_tiny)
    assert len(dataset) == len(in_memory) == 100
    assert in_memory.metainfo['classes'] == dataset.metainfo['classes']
    for index in range(len(dataset)):
        packed, item = dataset[index], in_memory[index]
        assert torch.equal(packed['inputs'], item['inputs'])
        assert packed['data_samples'].gt_label.item() == item['data_samples'].gt_label.item()
    # The archive decodes to the same tensors; per_class keeps the first N of each class.
    images, labels = load_split('test', per_class=10, source=ARCHIVE)
    assert torch.equal(images, torch.stack([item['inputs'] for item in in_memory]))
    labels_of = lambda dataset: torch.tensor([dataset.get_data_info(i)['gt_label']  # noqa: E731
                                              for i in range(len(dataset))])
    assert torch.equal(labels, labels_of(in_memory))
    noisy = CIFAR10InMemory('test', source=cifar10_tiny, wrong_label_fraction=0.3, seed=1)
    assert torch.equal(labels_of(noisy), wrong_labels(labels, 0.3, seed=1))
    with pytest.raises(ValueError, match=r'wrong_label_fraction must be in \[0, 1\]'):
        CIFAR10InMemory('test', source=cifar10_tiny, wrong_label_fraction=1.5)


def pipeline_crop(path, top, left, flip):
    """RandomCrop(crop_size=32, padding=4) then RandomFlip, at a fixed offset and flip."""
    from mmcv.transforms import LoadImageFromFile
    from mmpretrain.datasets.transforms import PackInputs, RandomCrop, RandomFlip
    crop = RandomCrop(crop_size=32, padding=4)
    crop.rand_crop_params = lambda img: (top, left, 32, 32)
    results = crop(LoadImageFromFile()(dict(img_path=path)))
    results = RandomFlip(prob=1.0 if flip else 0.0, direction='horizontal')(results)
    return PackInputs()(results)['inputs']


@pytest.mark.parametrize('top, left, flip', [(0, 0, False), (8, 8, True), (3, 6, True),
                                             (4, 4, False), (7, 1, False)])
def test_on_device_crop_and_flip_match_the_runner_transforms(cifar10_tiny, top, left, flip,
                                                            pretrain_scope):
    images, _ = load_split('train', source=cifar10_tiny)
    path = sorted(glob.glob(osp.join(cifar10_tiny, 'train', '*', '*.jpg')))[0]
    expected = pipeline_crop(path, top, left, flip)
    got = crop_flip(images[:1], torch.tensor([top]), torch.tensor([left]), torch.tensor([flip]))
    assert torch.equal(got[0], expected)


def test_the_batch_augment_after_normalisation_pads_with_black(cifar10_tiny, pretrain_scope):
    """In ClsDataPreprocessor the augment sees normalised RGB images: padded with the
    normalised black it gives the normalised pipeline crop, at every offset."""
    from mmpretrain.models import ClsDataPreprocessor
    settings = dict(mean=[125.307, 122.961, 113.8575], std=[51.5865, 50.847, 51.255],
                    to_rgb=True)
    normalise = ClsDataPreprocessor(**settings)
    path = sorted(glob.glob(osp.join(cifar10_tiny, 'train', '*', '*.jpg')))[0]
    expected = normalise(dict(inputs=torch.stack([pipeline_crop(path, 0, 8, True)])))['inputs']
    image = normalise(dict(inputs=load_split('train', source=cifar10_tiny)[0][:1]))['inputs']
    got = crop_flip(image, torch.tensor([0]), torch.tensor([8]), torch.tensor([True]),
                    pad_value=normalised_black(settings))
    assert torch.allclose(got, expected, atol=1e-5)
    assert not torch.allclose(crop_flip(image, torch.tensor([0]), torch.tensor([8]),
                                        torch.tensor([True])), expected, atol=1e-2)
    # built by the preprocessor from a config, in the 'ckd' scope
    augmented = ClsDataPreprocessor(**settings, num_classes=10, batch_augments=dict(
        augments=dict(type='ckd.RandomCropFlip', pad_value=normalised_black(settings))))
    assert isinstance(augmented.batch_augments.augments[0], RandomCropFlip)


def test_random_crop_flip_draws_every_offset_and_both_flips_evenly():
    # A coordinate image: each of the 81 x 2 crops of it is different.
    rows, cols = torch.meshgrid(torch.arange(1, 33), torch.arange(1, 33), indexing='ij')
    image = torch.stack([rows, cols, rows * 0]).to(torch.uint8)[None]
    offsets = torch.arange(9)
    top, left, flip = [t.flatten() for t in torch.meshgrid(offsets, offsets, torch.arange(2),
                                                          indexing='ij')]
    flip = flip.bool()
    candidates = crop_flip(image.expand(len(top), -1, -1, -1), top, left, flip).flatten(1)
    drawn = random_crop_flip(image.expand(16200, -1, -1, -1),
                             torch.Generator().manual_seed(0)).flatten(1)
    weights = torch.randint(1, 2**20, (candidates.shape[1],), generator=torch.Generator()
                            .manual_seed(1))
    keys, drawn_keys = candidates.long() @ weights, drawn.long() @ weights
    assert len(keys.unique()) == 162
    match = drawn_keys[:, None] == keys[None]
    assert (match.sum(1) == 1).all()  # every draw is one of the 162 crops
    counts = match.sum(0).float()  # 100 expected of each
    assert counts.min() > 60 and counts.max() < 140
    assert abs(counts[flip].sum().item() / 16200 - 0.5) < 0.02


def test_random_crop_flip_draws_from_the_seed_and_the_batch_index_alone():
    """Two runs of one seed crop their n-th batches alike, whatever else they draw from
    torch's random state in between (a classroom building its mentors)."""
    images, scores = torch.arange(8 * 3 * 32 * 32.).view(8, 3, 32, 32), torch.zeros(8, 10)

    def crops(draws_between: int, seed=None):
        torch.manual_seed(5)  # the Runner's seed, before it builds the preprocessor
        augment = RandomCropFlip(seed=seed)
        torch.rand(draws_between)
        return [augment(images, scores)[0] for _ in range(3)]

    first = crops(0)
    assert all(torch.equal(a, b) for a, b in zip(first, crops(1000)))
    assert not torch.equal(first[0], first[1])  # each batch its own crops
    assert not torch.equal(first[0], crops(0, seed=6)[0])


def test_wrong_labels_reassigns_exactly_the_fraction_to_other_classes():
    labels = torch.arange(1000) % 10
    noisy = wrong_labels(labels, 0.3, seed=0)
    changed = noisy != labels
    assert changed.sum() == 300
    assert noisy.min() >= 0 and noisy.max() <= 9
    assert torch.equal(noisy, wrong_labels(labels, 0.3, seed=0))
    assert not torch.equal(noisy, wrong_labels(labels, 0.3, seed=1))
    # the wrong class is drawn from the other nine, evenly
    shift = (noisy[changed] - labels[changed]) % 10
    assert set(shift.tolist()) == set(range(1, 10))
    assert wrong_labels(labels, 0.0, seed=0).equal(labels)
    assert (wrong_labels(labels, 1.0, seed=0) != labels).all()


def test_the_validation_split_is_the_last_500_training_images_of_each_class():
    from classroomkd_mm.datasets.cifar10 import in_split
    labels = torch.arange(10).repeat_interleave(5000)  # the training images, by class
    val = in_split(labels, 'val')
    assert val.nonzero().flatten().tolist() == [
        c * 5000 + i for c in range(10) for i in range(4500, 5000)]
    rest = in_split(labels, 'train_minus_val')
    assert rest.sum() == 45000 and not (rest & val).any() and (rest | val).all()
    # a scale's N per class: the first N of the 4,500, never a validation image
    assert in_split(labels, 'train_minus_val', 1000).nonzero().flatten().tolist() == [
        c * 5000 + i for c in range(10) for i in range(1000)]
    assert in_split(labels, 'val', 2).nonzero().flatten().tolist()[:3] == [4500, 4501, 9500]
    assert in_split(labels, 'train', 5000).all()
    with pytest.raises(ValueError, match="'train_minus_val' holds 4500 images per class, "
                       'not 5000'):
        in_split(labels, 'train_minus_val', 5000)
    with pytest.raises(ValueError, match="unknown CIFAR-10 split 'validation'"):
        load_split('validation')


def test_the_benchmark_data_path_trains_outside_validation_validates_and_tests(
        cifar10_tiny):
    from classroomkd_mm.datasets.cifar10 import use_in_memory_data
    from classroomkd_mm.engine.config_files import read_config
    from runner_utils import REPO
    cfg = read_config(osp.join(REPO, 'configs', 'cifar10', 'classroom_resnet8.py'))
    use_in_memory_data(cfg, 1000, 100)
    assert [(cfg[f'{loader}_dataloader'].dataset.split, cfg[f'{loader}_dataloader'].dataset
             .per_class) for loader in ('train', 'val', 'test')] == [
                 ('train_minus_val', 1000), ('val', 100), ('test', 100)]
    # the tiny subset holds the first 20 images of each class: none is a validation image
    images, labels = load_split('train_minus_val', source=cifar10_tiny)
    assert torch.equal(images, load_split('train', source=cifar10_tiny)[0]) and len(labels) == 200
    assert len(load_split('val', source=cifar10_tiny)[1]) == 0
