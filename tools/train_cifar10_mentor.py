"""Train a CIFAR-10 mentor of the CIFAR zoo with the recipe of data/cifar10_mentors/README.md.

    python tools/train_cifar10_mentor.py resnet20 work_dirs/mentors/resnet20.pth
    python tools/train_cifar10_mentor.py resnet8 weak.pth --epochs 1             # a weak mentor
    python tools/train_cifar10_mentor.py resnet8 noisy.pth --wrong-labels 0.5    # half the labels wrong

The recipe: 30 epochs, batch 256, SGD with Nesterov momentum 0.9 and weight decay 5e-4,
a one-cycle learning rate peaking at 0.2 after 15 % of the steps, bfloat16 autocast,
``channels_last``; a random 32x32 crop of the image padded by 4 pixels (zero padding after
normalisation) and a random horizontal flip; seed 0. The images are normalised as the
project's CIFAR-10 configs do (``configs/cifar10/_base_.py``: RGB, MMPretrain's CIFAR
statistics). The decoded training set stays on the device, where batches are cropped and
flipped. Runs on CUDA when there is one, else on the CPU.

Writes ``{'state_dict': ...}`` with the keys of ``CifarClassifier`` in float32 (tensors only,
so it loads with ``weights_only=True``) and prints the top-1 on the test set.
"""
import argparse
import math
import os
import os.path as osp
import sys
import time

import torch
import torch.nn.functional as F

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
from cifar10_tensors import ARCHIVE, load_split, random_crop_flip  # noqa: E402

NUM_CLASSES = 10


def wrong_labels(labels: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """A copy of ``labels`` where ``round(fraction * N)`` of them, chosen at random, are
    replaced by another class drawn uniformly from the other nine (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(labels), generator=generator)[:round(fraction * len(labels))]
    shift = torch.randint(1, NUM_CLASSES, (len(chosen),), generator=generator)
    noisy = labels.clone()
    noisy[chosen] = (labels[chosen] + shift) % NUM_CLASSES
    return noisy


def build_classifier(arch: str):
    """A ``CifarClassifier`` with the data preprocessor of the project's CIFAR-10 configs."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpretrain')
    preprocessor = Config.fromfile(osp.join(REPO, 'configs', 'cifar10', '_base_.py'))
    return MODELS.build(dict(type='CifarClassifier', arch=arch, num_classes=NUM_CLASSES,
                             data_preprocessor=preprocessor.data_preprocessor.to_dict()))


@torch.no_grad()
def top1(model, images: torch.Tensor, labels: torch.Tensor, amp: bool,
         batch_size: int = 1000) -> float:
    """Top-1 (%) of ``model`` on uint8 BGR ``images`` (no augmentation)."""
    model.eval()
    correct = torch.zeros((), device=images.device)
    for start in range(0, len(images), batch_size):
        inputs = model.data_preprocessor(dict(inputs=images[start:start + batch_size]))['inputs']
        with torch.autocast(images.device.type, torch.bfloat16, enabled=amp):
            logits = model(inputs.contiguous(memory_format=torch.channels_last), mode='tensor')
        correct += (logits.argmax(1) == labels[start:start + batch_size]).sum()
    return 100.0 * correct.item() / len(images)


def train(arch: str, out: str, epochs: int = 30, batch_size: int = 256, peak_lr: float = 0.2,
          wrong_label_fraction: float = 0.0, seed: int = 0, device: str = None,
          amp: bool = True, train_per_class: int = None, test_per_class: int = None,
          source: str = ARCHIVE) -> float:
    """Train ``arch`` with the recipe, save it to ``out`` and return its test top-1 (%)."""
    device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    torch.manual_seed(seed)
    images, labels = (t.to(device) for t in load_split('train', train_per_class, source))
    test_images, test_labels = (t.to(device) for t in load_split('test', test_per_class, source))
    if wrong_label_fraction:
        labels = wrong_labels(labels.cpu(), wrong_label_fraction, seed).to(device)
    model = build_classifier(arch).to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=peak_lr, momentum=0.9, nesterov=True,
                                weight_decay=5e-4)
    steps_per_epoch = math.ceil(len(images) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=peak_lr, total_steps=epochs * steps_per_epoch, pct_start=0.15,
        cycle_momentum=False)
    generator = torch.Generator(device).manual_seed(seed)
    start = time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        loss_sum = torch.zeros((), device=device)
        order = torch.randperm(len(images), device=device, generator=generator)
        for batch in order.split(batch_size):
            inputs = model.data_preprocessor(dict(inputs=images[batch]), True)['inputs']
            inputs = random_crop_flip(inputs, generator)  # zero padding after normalisation
            with torch.autocast(device.type, torch.bfloat16, enabled=amp):
                logits = model(inputs.contiguous(memory_format=torch.channels_last),
                               mode='tensor')
            loss = F.cross_entropy(logits.float(), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.detach()
        print(f'epoch {epoch}/{epochs}: loss {loss_sum.item() / steps_per_epoch:.4f}, '
              f'{time.time() - start:.0f} s', flush=True)
    accuracy = top1(model, test_images, test_labels, amp)
    state = {key: value.detach().cpu().contiguous() for key, value in
             model.state_dict().items()}
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(dict(state_dict=state), out)
    print(f'{arch}: top-1 {accuracy:.2f} % on {len(test_images)} test images '
          f'({device.type}, {time.time() - start:.0f} s); saved {out}')
    return accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('arch', help='a CIFAR zoo architecture, e.g. resnet20 (docs/cifar_zoo.md)')
    parser.add_argument('out', help='the checkpoint to write')
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--lr', type=float, default=0.2, help='peak of the one-cycle schedule')
    parser.add_argument('--wrong-labels', type=float, default=0.0, metavar='FRACTION',
                        help='reassign this fraction of the training labels to another class, '
                        'at random (seeded): a mentor trained on noisy labels')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default=None, help='default: cuda if available, else cpu')
    parser.add_argument('--no-amp', action='store_true', help='float32 instead of bfloat16 '
                        'autocast')
    parser.add_argument('--train-per-class', type=int, default=None,
                        help='the first N training images of each class (default: all 5,000)')
    parser.add_argument('--test-per-class', type=int, default=None,
                        help='the first N test images of each class (default: all 1,000)')
    parser.add_argument('--data', default=ARCHIVE, help='the bundled archive (default) or a '
                        'folder unpacked by tools/data/prepare_cifar10.py')
    args = parser.parse_args()
    if not 0 <= args.wrong_labels <= 1:
        parser.error(f'--wrong-labels must be in [0, 1], got {args.wrong_labels}')
    train(args.arch, args.out, args.epochs, args.batch_size, args.lr, args.wrong_labels,
          args.seed, args.device, not args.no_amp, args.train_per_class, args.test_per_class,
          args.data)


if __name__ == '__main__':
    main()
