"""CIFAR-10: the shipped mentors through the project's pipeline, the on-device data path of
the benchmark against the Runner's, the mentor-training script, and the benchmark end to end."""
import glob
import hashlib
import json
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from runner_utils import DATA, REPO

sys.path[:0] = [osp.join(REPO, 'tools'), osp.join(REPO, 'tools', 'data')]
from cifar10_tensors import ARCHIVE, crop_flip, load_split, random_crop_flip  # noqa: E402
from prepare_cifar10 import prepare  # noqa: E402
from train_cifar10_mentor import wrong_labels  # noqa: E402

MENTORS = osp.join(DATA, 'cifar10_mentors')


def run(*args, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope='session')
def cifar10_test_set():
    """All 10,000 CIFAR-10 test JPEGs, unpacked once per machine."""
    return prepare(osp.join(DATA, 'cifar10_testset'), 0, 1000)


def test_shipped_mentors_match_their_checksums():
    with open(osp.join(MENTORS, 'SHA256SUMS')) as f:
        listed = dict(reversed(line.split()) for line in f if line.strip())
    assert sorted(listed) == sorted(osp.basename(p) for p in glob.glob(f'{MENTORS}/*.pth'))
    for name, digest in listed.items():
        with open(osp.join(MENTORS, name), 'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, name


def test_every_cifar10_config_flips_the_jpegs_to_rgb():
    from mmengine.config import Config
    for path in glob.glob(osp.join(REPO, 'configs', 'cifar10', '*.py')):
        cfg = Config.fromfile(path)
        assert cfg.train_dataloader.dataset.pipeline[0].type == 'LoadImageFromFile'  # BGR
        assert cfg.data_preprocessor.to_rgb is True, path


def tools_test_top1(test_set, tmp_path, *options):
    result = run('tools/test.py', 'configs/cifar10/standalone.py',
                 osp.join(MENTORS, 'resnet14.pth'), '--work-dir', str(tmp_path),
                 '--cfg-options', 'model.arch=resnet14', f'test_dataloader.dataset.data_root={test_set}',
                 *options)
    assert result.returncode == 0, result.stderr[-3000:]
    return float(re.findall(r'accuracy/top1: ([\d.]+)', result.stdout + result.stderr)[-1])


def test_shipped_mentor_reaches_its_accuracy_through_tools_test(cifar10_test_set, tmp_path):
    """ResNet-14 on all 10,000 test images: 86.04 % in float32 on a CPU (its README).
    This catches channel order, normalisation and checkpoint loading at once; the same
    model fed BGR (MMPretrain's CIFAR default, to_rgb=False) falls to 74 % and fails it."""
    assert abs(tools_test_top1(cifar10_test_set, tmp_path / 'rgb') - 86.04) < 1.0
    bgr = tools_test_top1(cifar10_test_set, tmp_path / 'bgr', 'data_preprocessor.to_rgb=False')
    assert bgr < 86.04 - 1.0


def test_on_device_images_are_what_the_runner_pipeline_packs(cifar10_tiny, pretrain_scope):
    from mmpretrain.datasets import CustomDataset
    images, labels = load_split('test', source=cifar10_tiny)
    dataset = CustomDataset(data_root=cifar10_tiny, data_prefix='test', pipeline=[
        dict(type='LoadImageFromFile'), dict(type='PackInputs')])
    assert len(dataset) == len(images) == 100
    for index in range(len(dataset)):
        packed = dataset[index]
        assert torch.equal(packed['inputs'], images[index])
        assert packed['data_samples'].gt_label.item() == labels[index]
    # The archive decodes to the same tensors; per_class keeps the first N of each class.
    from_archive, archive_labels = load_split('test', per_class=10, source=ARCHIVE)
    assert torch.equal(from_archive, images) and torch.equal(archive_labels, labels)


@pytest.mark.parametrize('top, left, flip', [(0, 0, False), (8, 8, True), (3, 6, True),
                                             (4, 4, False), (7, 1, False)])
def test_on_device_crop_and_flip_match_the_runner_transforms(cifar10_tiny, top, left, flip,
                                                            pretrain_scope):
    """RandomCrop(crop_size=32, padding=4) then RandomFlip, at a fixed offset and flip."""
    from mmcv.transforms import LoadImageFromFile
    from mmpretrain.datasets.transforms import PackInputs, RandomCrop, RandomFlip
    images, _ = load_split('train', source=cifar10_tiny)
    path = sorted(glob.glob(osp.join(cifar10_tiny, 'train', '*', '*.jpg')))[0]
    crop = RandomCrop(crop_size=32, padding=4)
    crop.rand_crop_params = lambda img: (top, left, 32, 32)
    results = crop(LoadImageFromFile()(dict(img_path=path)))
    results = RandomFlip(prob=1.0 if flip else 0.0, direction='horizontal')(results)
    expected = PackInputs()(results)['inputs']
    got = crop_flip(images[:1], torch.tensor([top]), torch.tensor([left]), torch.tensor([flip]))
    assert torch.equal(got[0], expected)


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


def test_mentor_training_script_writes_a_loadable_mentor(tmp_path, cifar10_tiny,
                                                         pretrain_scope):
    out = str(tmp_path / 'mentor.pth')
    result = run('tools/train_cifar10_mentor.py', 'resnet8', out, '--epochs', '2',
                 '--batch-size', '32', '--train-per-class', '8', '--test-per-class', '10',
                 '--wrong-labels', '0.25', '--data', cifar10_tiny, '--device', 'cpu')
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'epoch 2/2' in result.stdout
    assert re.search(r'resnet8: top-1 [\d.]+ % on 100 test images \(cpu', result.stdout)
    state = torch.load(out, weights_only=True)
    assert list(state) == ['state_dict']
    from mmengine.registry import MODELS
    torch.manual_seed(0)
    fresh = MODELS.build(dict(type='CifarClassifier', arch='resnet8', num_classes=10))
    assert state['state_dict'].keys() == fresh.state_dict().keys()
    assert all(v.dtype in (torch.float32, torch.int64) and v.device.type == 'cpu'
               for v in state['state_dict'].values())
    # It trained, and it teaches: the distiller loads it as a mentor.
    assert not torch.equal(state['state_dict']['head.fc.weight'], fresh.head.fc.weight)
    from classroomkd_mm.checkpoint import load_mentor_weights
    mentor = MODELS.build(dict(type='CifarClassifier', arch='resnet8', num_classes=10))
    load_mentor_weights(mentor, out, 'weak')
    assert torch.equal(mentor.head.fc.weight, state['state_dict']['head.fc.weight'])
    bad = run('tools/train_cifar10_mentor.py', 'resnet8', out, '--wrong-labels', '1.5')
    assert bad.returncode == 2 and '--wrong-labels must be in [0, 1]' in bad.stderr


def test_benchmark_runs_end_to_end_on_a_slice_and_resumes(tmp_path):
    """The full-scale path (noisy classroom included) on 2 images per class, on the CPU."""
    docs, work = tmp_path / 'docs', tmp_path / 'work'
    docs.mkdir()
    (docs / 'results.md').write_text('# Results\n\nkept\n')
    args = ['tools/benchmarks/cifar10_methods.py', '--slice', '2', '--seeds', '0',
            '--methods', 'NOKD', 'AVER', 'ClassroomKD', '--device', 'cpu',
            '--work-dir', str(work), '--docs', str(docs)]
    result = run(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((work / 'results.json').read_text())
    assert sorted(results['runs']) == sorted(
        f'cpu-slice/{classroom}/{method}/seed0' for classroom, method in [
            ('clean', 'NOKD'), ('clean', 'AVER'), ('clean', 'ClassroomKD'),
            ('noisy', 'AVER'), ('noisy', 'ClassroomKD')])
    noisy = results['runs']['cpu-slice/noisy/ClassroomKD/seed0']
    weak = ('resnet14_1epoch', 'resnet14_wrong60')
    assert noisy['setup']['mentors'] == ['resnet56', 'shufflev2', 'resnet32', 'resnet20', *weak]
    assert noisy['setup']['train_images'] == noisy['setup']['test_images'] == 20
    assert all(0 <= noisy['telemetry'][f'active_rate/{m}'] <= 1
               for m in noisy['setup']['mentors'])
    assert all(osp.isfile(work / 'mentors' / f'{m}.pth') for m in weak)
    assert set(results['mentors']) == set(noisy['setup']['mentors'])
    page = (docs / 'results.md').read_text()
    assert page.startswith('# Results\n\nkept\n') and '| ClassroomKD |' in page
    assert (docs / 'cifar10_methods_cpu-slice.png').stat().st_size > 0
    # Resumed: nothing left to train; the report comes back the same.
    again = run(*args)
    assert again.returncode == 0 and '] cpu-slice/' not in again.stdout
    assert (docs / 'results.md').read_text() == page
