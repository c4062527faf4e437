"""CUDA-graph mentors (``mentor_fast_path=dict(cuda_graph=True)``): capture, replay equal to
the eager forward, a bounded cache of shapes, pose mentors, reduced precision, mentors at
another input size, and the fallback where CUDA refuses to capture. They need a CUDA device
and are skipped without one; the CPU fallback is tested in test_fast_path_mentor.py."""
import copy

import pytest
import torch
from mmengine.registry import MODELS, init_default_scope
from torch import nn

from classroomkd_mm.engine import read_config
from classroomkd_mm.fast_path import TOLERANCES, FastMentor
from classroomkd_mm.fast_path.checks import relative_deviation, tensors_of
from fast_path_utils import fast_path_log  # noqa: F401  (a fixture)
from fast_path_utils import randomise_batchnorm
from runner_utils import no_sync_bn_no_pretrained, walk

pytestmark = [pytest.mark.skipif(not torch.cuda.is_available(),
                                 reason='CUDA graphs need a CUDA device'),
              pytest.mark.usefixtures('pretrain_scope', 'no_tf32')]


@pytest.fixture
def no_tf32(monkeypatch):
    """fp32 means fp32 here: cuDNN's TF32 default rounds convolutions to 10 bits."""
    monkeypatch.setattr(torch.backends.cudnn, 'allow_tf32', False)
    monkeypatch.setattr(torch.backends.cuda.matmul, 'allow_tf32', False)


def cifar(arch='resnet20'):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='ckd.build_cifar_classifier', arch=arch, num_classes=10))
    return randomise_batchnorm(model).cuda()


def batch(size=8, seed=0):
    generator = torch.Generator(device='cuda').manual_seed(seed)
    return torch.randn(size, 3, 32, 32, device='cuda', generator=generator)


def eager_outputs(mentor, *batches):
    with torch.no_grad():
        return [mentor(inputs, None, mode='tensor') for inputs in batches]


def test_replay_equals_the_eager_forward_and_reads_each_new_batch(fast_path_log):
    mentor = cifar()
    first, second = batch(seed=0), batch(seed=1)
    expected = eager_outputs(mentor, first, second)
    fast = FastMentor(copy.deepcopy(mentor), fold_bn=False, channels_last=False,
                      cuda_graph=True, name='resnet20')
    outputs = [fast(first), fast(second)]  # one graph: captured on the first, replayed
    assert len(fast.graphs) == 1
    for got, want in zip(outputs, expected):  # the first output survived the second replay
        assert relative_deviation(got, want) <= 1e-6
    [line] = fast_path_log()
    assert "'resnet20' passes its probe" in line and line.count('CUDA graph') == 1
    assert 'no CUDA graph' not in line


@pytest.mark.parametrize('dtype', [None, 'float16', 'bfloat16'])
def test_graphs_compose_with_folding_and_precision(dtype, fast_path_log):
    mentor = cifar()
    first, second = batch(seed=0), batch(seed=1)
    _, expected = eager_outputs(mentor, first, second)
    fast = FastMentor(copy.deepcopy(mentor), dtype=dtype, cuda_graph=True, name='resnet20')
    fast(first)
    output = fast(second)
    assert len(fast.graphs) == 1 and torch.isfinite(output).all()
    tolerance = TOLERANCES[{None: torch.float32, 'float16': torch.float16,
                            'bfloat16': torch.bfloat16}[dtype]]
    assert relative_deviation(output, expected) <= tolerance
    [line] = fast_path_log()
    assert 'passes its probe' in line and 'BatchNorms folded' in line and 'CUDA graph' in line


def test_the_cache_keeps_the_four_latest_shapes():
    mentor = cifar()
    fast = FastMentor(copy.deepcopy(mentor), cuda_graph=True)
    for size in (2, 3, 4, 5, 6, 2):  # 2 is dropped for 6, then captured again
        inputs = batch(size, seed=size)
        [expected] = eager_outputs(mentor, inputs)
        assert relative_deviation(fast(inputs), expected) <= TOLERANCES[torch.float32]
    assert [key[0][0] for key in fast.graphs.captured] == [4, 5, 6, 2]


def test_moving_the_mentor_drops_its_graphs():
    mentor = cifar()
    inputs = batch()
    fast = FastMentor(copy.deepcopy(mentor), cuda_graph=True)
    fast(inputs)
    fast.to(torch.float64)  # the captured graphs read the float32 weights
    assert len(fast.graphs) == 0
    [expected] = eager_outputs(mentor, inputs)
    assert relative_deviation(fast(inputs), expected) <= TOLERANCES[torch.float32]
    assert len(fast.graphs) == 1


def test_a_pose_mentor_replays_its_simcc_pair(pose_scope):
    cfg = read_config('mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py')
    init_default_scope('mmpose')
    torch.manual_seed(0)
    mentor = randomise_batchnorm(MODELS.build(walk(cfg.model, no_sync_bn_no_pretrained))).cuda()
    first = torch.randn(2, 3, 256, 192, device='cuda')
    second = torch.randn(2, 3, 256, 192, device='cuda')
    _, expected = eager_outputs(mentor, first, second)
    fast = FastMentor(copy.deepcopy(mentor), cuda_graph=True, name='rtmpose-s')
    fast(first)
    output = fast(second)
    assert isinstance(output, tuple) and len(tensors_of(output)) == 2
    assert relative_deviation(output, expected) <= TOLERANCES[torch.float32]
    assert len(fast.graphs) == 1


class SyncingMentor(nn.Module):
    """Reads a value to the host in its forward, which CUDA refuses to capture."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.conv(inputs) * float(inputs.abs().max() > 0)


def test_a_forward_that_refuses_capture_runs_without_a_graph(fast_path_log):
    torch.manual_seed(0)
    mentor = SyncingMentor().cuda().eval()
    inputs = batch()
    [expected] = eager_outputs(mentor, inputs)
    fast = FastMentor(copy.deepcopy(mentor), fold_bn=False, channels_last=False,
                      cuda_graph=True, name='syncing')
    assert torch.equal(fast(inputs), expected) and torch.equal(fast(inputs), expected)
    assert fast.graphs is None
    [line] = fast_path_log()
    assert "'syncing' passes its probe" in line and 'no CUDA graph (' in line


def test_classroom_loss_with_graphed_mentors_at_another_input_size(tmp_path):
    from mmpretrain.structures import DataSample
    mentors = []
    for arch, size in (('resnet14', 40), ('mobilenetv2', None)):
        path = str(tmp_path / f'{arch}.pth')
        torch.save(dict(state_dict=cifar(arch).state_dict()), path)
        mentors.append(dict(name=arch, checkpoint=path, input_size=size,
                            model=dict(type='ckd.build_cifar_classifier', arch=arch,
                                       num_classes=10)))
    cfg = dict(type='ClassroomKDDistiller', mentors=mentors,
               student=dict(type='ckd.build_cifar_classifier', arch='resnet8', num_classes=10))
    torch.manual_seed(0)
    eager = MODELS.build(cfg).cuda().train()
    graphed = MODELS.build(dict(cfg, mentor_fast_path=dict(cuda_graph=True))).cuda().train()
    graphed.student.load_state_dict(eager.student.state_dict())
    inputs = batch(16)
    samples = [DataSample().set_gt_label(i % 10).to('cuda') for i in range(16)]
    for _ in range(2):  # capture, then replay
        expected = eager(inputs, samples, mode='loss')
        got = graphed(inputs, samples, mode='loss')
        for key, value in expected.items():
            assert torch.allclose(got[key], value, rtol=1e-4, atol=1e-5), key
    assert all(len(mentor.graphs) == 1 for mentor in graphed.mentors.values())
