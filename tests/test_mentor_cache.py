"""mentor_cache: a hit is exactly what the mentor computes on that batch; another crop, another
mentor or another precision misses; only a sharing block turns it on."""
import pytest
import torch

from classroom_utils import build, labelled_batch
from classroomkd_mm.datasets.cifar10 import random_crop_flip
from classroomkd_mm.mentor_cache import (MentorOutputCache, mentor_output,
                                         sharing_mentor_outputs)


def test_a_hit_is_the_eager_mentors_output_and_another_crop_misses(cifar_classroom):
    distiller = build(cifar_classroom)
    images, samples, _ = labelled_batch()
    crop, other_crop = (random_crop_flip(images, torch.Generator().manual_seed(seed))
                        for seed in (0, 1))
    eager = distiller.mentor_outputs(crop, samples)
    with sharing_mentor_outputs() as cache:
        first = distiller.mentor_outputs(crop, samples)
        hit = distiller.mentor_outputs(crop.clone(), samples)
        assert (cache.hits, cache.misses) == (2, 2)  # one lookup per mentor and batch
        distiller.mentor_outputs(other_crop, samples)
        assert (cache.hits, cache.misses) == (2, 4)
    assert all(torch.equal(a, b) and torch.equal(a, c) for a, b, c in zip(eager, first, hit))
    hit[0].zero_()  # a hit is a copy: what the loss does to it stays out of the cache
    assert torch.equal(cache.output(distiller.mentor_keys['teacher'], crop, None), eager[0])
    distiller.mentor_outputs(crop, samples)  # outside the block: no cache
    assert (cache.hits, cache.misses) == (3, 4)


def test_the_key_is_the_mentor_the_batch_and_the_autocast_and_outputs_keep_their_structure():
    cache = MentorOutputCache()
    batch = torch.randn(2, 3, 4, 4)
    simcc = (torch.randn(2, 17, 8), torch.randn(2, 17, 8))  # a SimCC head's (x, y) pair
    got = cache.output('a', batch, lambda: simcc)
    assert got is simcc
    hit = cache.output('a', batch.clone(), lambda: pytest.fail('a hit computes nothing'))
    assert type(hit) is tuple and all(torch.equal(x, y) for x, y in zip(hit, simcc))
    cache.output('b', batch, lambda: simcc)
    cache.output('a', batch.to(torch.float64), lambda: simcc)
    cache.output('a', batch.contiguous(memory_format=torch.channels_last), lambda: simcc)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        cache.output('a', batch, lambda: simcc)
    assert (cache.hits, cache.misses) == (1, 5)


def test_a_full_cache_computes_without_storing_and_sharing_blocks_do_not_nest():
    cache = MentorOutputCache(max_bytes=100)
    for _ in range(2):
        cache.output('a', torch.zeros(1), lambda: torch.zeros(20))  # 80 bytes: kept
        cache.output('a', torch.ones(1), lambda: torch.ones(20))  # 160 in all: not kept
    assert (cache.hits, cache.misses, cache.bytes) == (1, 3, 80)
    assert torch.equal(mentor_output('a', torch.zeros(1), lambda: torch.ones(2)), torch.ones(2))
    with sharing_mentor_outputs(cache), pytest.raises(RuntimeError, match='do not nest'):
        with sharing_mentor_outputs():
            pass
