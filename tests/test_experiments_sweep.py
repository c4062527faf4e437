"""experiments.sweep: methods of one seed trained in one process through the Runner, sharing
the mentors' outputs, each training as it does alone."""
import pytest
import torch

from classroom_utils import two_mentor_classroom
from classroomkd_mm.datasets import cifar10
from classroomkd_mm.experiments import cifar10_methods, scalars, sweep


def losses(work_dir: str) -> list:
    records = scalars.read_records(scalars.newest_scalars_file(work_dir))
    return [(r['step'], r['loss']) for r in records if 'loss' in r]


@pytest.fixture
def method_config(tmp_path, cifar10_tiny, pretrain_scope):
    """The benchmark's config of a method on 10 training images (3 steps of 4), 10 test
    images, seed 3, with two small mentors of seeded weights."""
    mentors = two_mentor_classroom(tmp_path)['mentors']
    classroom = cifar10_methods.classroom_config()

    def config(method: str, seed: int = 3):
        cfg = cifar10_methods.run_config(classroom, method, mentors, epochs=1, seed=seed,
                                         train_per_class=1, test_per_class=1)
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[loader].update(num_workers=0, persistent_workers=False)
            cfg[loader].dataset.source = cifar10_tiny
        cfg.merge_from_dict({'train_dataloader.batch_size': 4, 'default_hooks.checkpoint': None,
                             'default_hooks.logger.interval': 1})
        return cfg
    return config


def test_a_method_in_a_sweep_trains_as_it_does_alone(method_config, tmp_path, monkeypatch):
    """``sweep_cost``: the sweep, then AVER alone; AVER's mentor outputs all come from
    ClassroomKD's run, and its losses are those it has alone."""
    crops, augment = [], cifar10.RandomCropFlip.__call__

    def recorded(self, inputs, scores):
        crops.append(augment(self, inputs, scores))
        return crops[-1]
    monkeypatch.setattr(cifar10.RandomCropFlip, '__call__', recorded)
    methods = ('ClassroomKD', 'AVER', 'NOKD')
    cost = sweep.sweep_cost({m: method_config(m) for m in methods}, 'AVER', str(tmp_path))
    results = cost['runs']
    assert [(results[m]['mentor_hits'], results[m]['mentor_misses']) for m in methods] == [
        (0, 6), (6, 0), (0, 0)]  # 2 mentors x 3 steps
    assert (cost['mentor_hits'], cost['mentor_misses']) == (6, 6)
    assert cost['ratio'] == cost['sweep_seconds'] / cost['alone_seconds']
    alone = losses(str(tmp_path / 'alone' / 'AVER'))
    assert len(alone) == 3 and alone == losses(str(tmp_path / 'sweep' / 'AVER'))
    # every run, NOKD's too, drew the same crops of the same images
    assert len(crops) == 4 * 3
    assert all(torch.equal(a[0], b[0]) for a, b in zip(crops, crops[3:]))


def test_a_sweep_is_of_one_seed(method_config, tmp_path):
    with pytest.raises(ValueError, match='same randomness.seed'):
        sweep.sweep(dict(a=method_config('NOKD'), b=method_config('NOKD', seed=4)),
                    str(tmp_path))
