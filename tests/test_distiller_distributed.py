"""The classroom under DDP (two gloo processes): a mentor that fails on one process is dropped on
every process, so that all of them filter and rank the same way."""
import os
import os.path as osp

import pytest

from runner_utils import free_port, save_zoo_checkpoint

pytestmark = pytest.mark.multiprocess


def nan_mentor_on_rank_zero(rank, port, cfg, out_dir):
    """One DDP process: build the classroom, break a mentor on rank 0 only, run one loss."""
    import torch
    import torch.distributed as dist
    from mmengine.registry import MODELS, init_default_scope
    from mmpretrain.structures import DataSample
    import classroomkd_mm  # noqa: F401
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    torch.set_num_threads(1)
    init_default_scope('mmpretrain')
    torch.manual_seed(0)  # the same student on both processes, as DDP keeps it
    distiller = MODELS.build(cfg).train()
    if rank == 0:
        with torch.no_grad():
            distiller.mentors['peer'].head.fc.bias.fill_(float('nan'))
    generator = torch.Generator().manual_seed(rank)  # each process its own shard
    inputs = torch.randn(6, 3, 32, 32, generator=generator)
    samples = [DataSample().set_gt_label(int(label))
               for label in torch.randint(0, 10, (6,), generator=generator)]
    losses = distiller(inputs, samples, mode='loss')
    torch.save({key: value.detach() for key, value in losses.items()},
               osp.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


def test_a_mentor_failing_on_one_process_is_dropped_on_every_process(tmp_path):
    import torch
    import torch.multiprocessing as mp
    from mmengine.registry import MODELS, init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpretrain')
    mentors = []
    for seed, (name, arch) in enumerate((('teacher', 'resnet14'), ('peer', 'vgg8'),
                                         ('other', 'resnet8'))):
        torch.manual_seed(seed + 1)
        model = dict(type='ckd.build_cifar_classifier', arch=arch, num_classes=10)
        mentors.append(dict(name=name, model=model, checkpoint=save_zoo_checkpoint(
            MODELS.build(model), str(tmp_path / f'{name}.pth'))))
    for ranking in ('softmax', 'uniform'):
        cfg = dict(type='ClassroomKDDistiller', mentors=mentors, kf=dict(ranking=ranking),
                   student=dict(type='ckd.build_cifar_classifier', arch='resnet8', num_classes=10))
        mp.spawn(nan_mentor_on_rank_zero, args=(free_port(), cfg, str(tmp_path)), nprocs=2)
        first, second = (torch.load(str(tmp_path / f'rank{rank}.pt')) for rank in (0, 1))
        logged = [key for key in first if key.split('/')[0] in ('rank', 'active', 'temp')]
        assert len(logged) == 1 + 3 * 3
        for key in logged:
            assert torch.equal(first[key], second[key]), (ranking, key)
        assert first['active/peer'].item() == 0.0 and first['rank/peer'].item() == 0.0
        assert first['nonfinite/mentors'].item() == 1.0 and second['nonfinite/mentors'] == 0.0
