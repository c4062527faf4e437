"""The mentor fast path gives the eager mentors' outputs, ranks and losses."""
import pytest
import torch
from mmengine.registry import MODELS, init_default_scope

from torch import fx, nn

from classroomkd_mm.fast_path import FastMentor
from classroomkd_mm.fast_path.folding import FoldReport, add_into, fold_batchnorm

pytestmark = pytest.mark.usefixtures('pretrain_scope')


def randomise_batchnorm(model, seed=0):
    """Non-trivial running statistics, so that folding them matters."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator))
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
    return model.eval()


def cifar(arch):
    return randomise_batchnorm(MODELS.build(dict(type='CifarClassifier', arch=arch,
                                                 num_classes=10)))


def count_batchnorms(model):
    return sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())


# Pre-activation WRN blocks apply BN to a sum, not to a convolution's output: those stay.
@pytest.mark.parametrize('arch, unfoldable', [
    ('resnet20', 0), ('vgg8', 0), ('mobilenetv2', 0), ('shufflev1', 0), ('wrn_16_2', 6)])
def test_fp32_fast_path_matches_eager_logits(arch, unfoldable):
    mentor = cifar(arch)
    inputs = torch.randn(8, 3, 32, 32)
    with torch.no_grad():
        eager = mentor(inputs, mode='tensor')
    assert count_batchnorms(mentor) > unfoldable
    fast = FastMentor(mentor)
    output = fast(inputs)  # the first batch transforms the mentor and checks it
    assert count_batchnorms(fast) == unfoldable
    assert output.dtype == torch.float32 and not output.requires_grad
    assert (output - eager).abs().max().item() <= 1e-4


def in_place_nodes(model):
    return sum(node.target in (torch.relu_, add_into) for module in model.modules()
               if isinstance(module, fx.GraphModule) for node in module.graph.nodes)


def test_resnet_activations_and_residual_sums_run_in_place():
    fast = FastMentor(cifar('resnet20'))
    fast(torch.randn(2, 3, 32, 32))
    # 9 basic blocks: two ReLUs and one residual sum each, plus the stem's ReLU
    assert in_place_nodes(fast) == 9 * 3 + 1


class ReadTwice(nn.Module):
    """A ReLU whose input is read again, and a sum whose operands are both read again."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 1)
        self.bn = nn.BatchNorm2d(2)

    def forward(self, x):
        y = self.bn(self.conv(x))
        z = torch.relu(y) + y
        return z + torch.relu(z)


def test_tensors_read_elsewhere_are_not_overwritten():
    torch.manual_seed(0)
    model, inputs = randomise_batchnorm(ReadTwice()), torch.randn(1, 2, 3, 3)
    expected = model(inputs)
    report = FoldReport()
    folded = fold_batchnorm(model, 'model', report)
    assert (report.folded, report.in_place, in_place_nodes(folded)) == (1, 0, 0)
    assert torch.allclose(folded(inputs), expected, atol=1e-6)


def test_add_into_writes_into_its_first_operand_only_when_the_sum_fits():
    fresh = torch.tensor([[1.0, 2.0]])
    assert add_into(fresh, torch.tensor([10.0, 20.0])) is fresh
    assert fresh.tolist() == [[11.0, 22.0]]
    row = torch.tensor([1.0, 2.0])
    grown = add_into(row, torch.ones(2, 2))  # broadcasting makes it (2, 2)
    assert grown.tolist() == [[2.0, 3.0], [2.0, 3.0]] and row.tolist() == [1.0, 2.0]
    half = torch.ones(2, dtype=torch.float16)
    promoted = add_into(half, torch.ones(2))  # the sum is float32
    assert promoted.dtype == torch.float32 and half.tolist() == [1.0, 1.0]
    assert add_into(3, torch.ones(1)).tolist() == [4.0]  # shape arithmetic meets a tensor


def test_bfloat16_fast_path_stays_close():
    mentor = cifar('resnet20')
    inputs = torch.randn(8, 3, 32, 32)
    with torch.no_grad():
        eager = mentor(inputs, mode='tensor')
    output = FastMentor(mentor, dtype='bfloat16')(inputs)
    assert output.dtype == torch.float32
    assert (output - eager).abs().max().item() <= 0.05 * eager.abs().max().item()


def test_compiled_fast_path_matches_eager_logits():
    mentor = cifar('resnet8')
    inputs = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        eager = mentor(inputs, mode='tensor')
    output = FastMentor(mentor, compile=True)(inputs)
    assert (output - eager).abs().max().item() <= 1e-4


def test_ranks_and_losses_are_unchanged(tmp_path):
    from mmpretrain.structures import DataSample
    mentors = []
    for seed, arch in enumerate(('resnet20', 'mobilenetv2')):
        model = cifar(arch)
        path = str(tmp_path / f'{arch}.pth')
        torch.save(dict(state_dict=model.state_dict()), path)
        mentors.append(dict(name=arch, model=dict(type='CifarClassifier', arch=arch,
                                                  num_classes=10), checkpoint=path))
    cfg = dict(type='ClassroomKDDistiller', mentors=mentors,
               student=dict(type='CifarClassifier', arch='resnet8', num_classes=10),
               kf=dict(enabled=False))
    torch.manual_seed(0)
    eager = MODELS.build(cfg)
    fast = MODELS.build(dict(cfg, mentor_fast_path=dict()))
    fast.student.load_state_dict(eager.student.state_dict())
    inputs = torch.randn(16, 3, 32, 32)
    samples = [DataSample().set_gt_label(i % 10) for i in range(16)]
    expected = eager.train()(inputs, samples, mode='loss')
    got = fast.train()(inputs, samples, mode='loss')
    for key, value in expected.items():
        assert torch.allclose(got[key], value, atol=1e-5, rtol=1e-5), key


def test_unknown_dtype_is_refused():
    with pytest.raises(ValueError, match='mentor_fast_path.dtype'):
        FastMentor(cifar('resnet8'), dtype='int8')


def test_pose_mentor_fast_path_matches_eager(pose_scope):
    from classroomkd_mm.engine import read_config
    init_default_scope('mmpose')
    mentor = randomise_batchnorm(MODELS.build(read_config(
        'mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-s_8xb256-420e_coco-256x192.py').model))
    inputs = torch.randn(2, 3, 256, 192)
    with torch.no_grad():
        eager = mentor(inputs, None, mode='tensor')
    fast = FastMentor(mentor)
    for got, want in zip(fast(inputs), eager):
        assert (got - want).abs().max().item() <= 1e-4
