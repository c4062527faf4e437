"""Two CPU processes (gloo): every process filters the same way, also when a mentor fails on one."""
import glob
import os
import os.path as osp
import re
import socket
import subprocess
import sys

from runner_utils import REPO
from test_tools import write_tiny_classroom

TELEMETRY = re.compile(r'((?:rank|temp|active)/\S+): (\S+)')
LOSS = re.compile(r'  loss: (\S+)')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_rank_identically(tmp_path, cifar10_tiny):
    config = write_tiny_classroom(tmp_path, cifar10_tiny)
    work_dir = str(tmp_path / 'work')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    result = subprocess.run(
        ['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir, '--cfg-options',
         'log_level=DEBUG', 'train_cfg.max_epochs=1', 'train_dataloader.batch_size=25',
         "log_processor.type=LogProcessor"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*rank*.log')))
    assert len(logs) == 2, logs
    per_rank = []
    for path in logs:
        with open(path) as f:
            steps = [line for line in f if 'Epoch(train)' in line and 'rank/student' in line]
        per_rank.append(steps)
    assert len(per_rank[0]) == len(per_rank[1]) == 4  # 200 images / (2 × 25)
    for line0, line1 in zip(*per_rank):
        assert TELEMETRY.findall(line0) == TELEMETRY.findall(line1)
        assert len(TELEMETRY.findall(line0)) == 1 + 3 * 3
    # each process trained on its own shard: their task losses differ
    assert [LOSS.search(l).group(1) for l in per_rank[0]] != \
           [LOSS.search(l).group(1) for l in per_rank[1]]


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
    from runner_utils import save_zoo_checkpoint
    init_default_scope('mmpretrain')
    mentors = []
    for seed, (name, arch) in enumerate((('teacher', 'resnet14'), ('peer', 'vgg8'),
                                         ('other', 'resnet8'))):
        torch.manual_seed(seed + 1)
        model = dict(type='CifarClassifier', arch=arch, num_classes=10)
        mentors.append(dict(name=name, model=model, checkpoint=save_zoo_checkpoint(
            MODELS.build(model), str(tmp_path / f'{name}.pth'))))
    for ranking in ('softmax', 'uniform'):
        cfg = dict(type='ClassroomKDDistiller', mentors=mentors, kf=dict(ranking=ranking),
                   student=dict(type='CifarClassifier', arch='resnet8', num_classes=10))
        mp.spawn(nan_mentor_on_rank_zero, args=(free_port(), cfg, str(tmp_path)), nprocs=2)
        first, second = (torch.load(str(tmp_path / f'rank{rank}.pt')) for rank in (0, 1))
        logged = [key for key in first if key.split('/')[0] in ('rank', 'active', 'temp')]
        assert len(logged) == 1 + 3 * 3
        for key in logged:
            assert torch.equal(first[key], second[key]), (ranking, key)
        assert first['active/peer'].item() == 0.0 and first['rank/peer'].item() == 0.0
        assert first['nonfinite/mentors'].item() == 1.0 and second['nonfinite/mentors'] == 0.0
