"""classroomkd_mm.checkpoint's mentor fetch: a URL fetched once per node under a process group,
every rank failing together, and file:// URLs cached like any URL."""
import datetime
import os
import os.path as osp
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from runner_utils import free_port


def fetch_in_process_group(rank, url, torch_home, out_dir, port):
    """One rank of a 2-process gloo group loading a mentor from ``url``; it records its
    own calls of the (real) download function and the weights it ends up with."""
    os.environ.update(TORCH_HOME=torch_home, LOCAL_RANK=str(rank), MASTER_ADDR='127.0.0.1',
                      MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2,
                            timeout=datetime.timedelta(seconds=60))
    real_download = torch.hub.download_url_to_file

    def counted_download(source, destination, *args, **kwargs):
        with open(osp.join(out_dir, f'fetched_by_rank{rank}'), 'a') as f:
            f.write(source + '\n')
        time.sleep(1.0)  # a slow fetch: a rank that did not wait for it would fetch too
        real_download(source, destination, *args, **kwargs)

    torch.hub.download_url_to_file = counted_download
    from classroomkd_mm.checkpoint import load_mentor_weights
    model = nn.Linear(8, 4)
    try:
        load_mentor_weights(model, url, 'teacher')
        torch.save(model.state_dict(), osp.join(out_dir, f'loaded_by_rank{rank}.pth'))
    except RuntimeError as error:
        with open(osp.join(out_dir, f'error_rank{rank}'), 'w') as f:
            f.write(str(error))
    finally:
        dist.destroy_process_group()


def run_two_ranks(url, torch_home, out_dir):
    context = mp.spawn(fetch_in_process_group, args=(url, torch_home, out_dir, free_port()),
                       nprocs=2, join=False)
    deadline = time.time() + 300
    while not context.join(timeout=5):
        if time.time() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail('the two ranks did not finish: a barrier was missed')


@pytest.fixture
def zoo_file(tmp_path):
    torch.manual_seed(0)
    weights = nn.Linear(8, 4).state_dict()
    path = tmp_path / 'zoo' / 'teacher.pth'
    path.parent.mkdir()
    torch.save(dict(state_dict=weights, meta={}), path)
    return path, weights


@pytest.mark.multiprocess
def test_two_ranks_fetch_a_mentor_url_once(tmp_path, zoo_file):
    path, weights = zoo_file
    home, out = tmp_path / 'torch_home', tmp_path / 'out'
    out.mkdir()
    run_two_ranks(path.as_uri(), str(home), str(out))
    assert not list(out.glob('error_rank*'))
    with open(out / 'fetched_by_rank0') as f:
        assert f.read().splitlines() == [path.as_uri()]
    assert not (out / 'fetched_by_rank1').exists()
    assert (home / 'hub' / 'checkpoints' / 'teacher.pth').is_file()
    for rank in (0, 1):
        loaded = torch.load(out / f'loaded_by_rank{rank}.pth', weights_only=True)
        assert all(torch.equal(loaded[key], weights[key]) for key in weights)


@pytest.mark.multiprocess
def test_a_failed_fetch_fails_every_rank_without_hanging(tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    run_two_ranks((tmp_path / 'nowhere' / 'teacher.pth').as_uri(), str(tmp_path / 'home'),
                  str(out))
    for rank in (0, 1):
        with open(out / f'error_rank{rank}') as f:
            message = f.read()
        assert 'could not fetch' in message and 'put it at' in message
    assert not list(out.glob('loaded_by_rank*'))


def test_file_url_is_cached_like_any_url(tmp_path, zoo_file, monkeypatch):
    from classroomkd_mm.checkpoint import load_mentor_weights
    path, weights = zoo_file
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'home'))
    model = nn.Linear(8, 4)
    load_mentor_weights(model, path.as_uri(), 'teacher')
    assert torch.equal(model.weight, weights['weight'])
    assert (tmp_path / 'home' / 'hub' / 'checkpoints' / 'teacher.pth').is_file()
