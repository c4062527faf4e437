"""The mentor fast path gives the eager mentors' outputs, ranks and losses, and keeps the
eager mentor, saying why in one log line, wherever it would not."""
import copy
import inspect

import pytest
import torch
from mmengine.registry import MODELS, init_default_scope
from torch import fx, nn

from classroomkd_mm.fast_path import FastMentor, folding
from classroomkd_mm.fast_path.folding import FoldReport, add_into, fold_batchnorm
from fast_path_utils import fast_path_log  # noqa: F401  (a fixture)
from fast_path_utils import randomise_batchnorm

pytestmark = pytest.mark.usefixtures('pretrain_scope')


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


class Mentor(nn.Module):
    """A mentor called as MMEngine models are: ``mentor(inputs, data_samples, mode)``."""

    def __init__(self, body: nn.Module, as_list: bool = False):
        super().__init__()
        self.body, self.as_list = body, as_list

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.body([inputs] if self.as_list else inputs)


class ConvBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x):
        return self.bn(self.conv(x))


class TracedDiffers(ConvBN):
    """A Proxy is not a Tensor: the traced graph keeps the other branch."""

    def forward(self, x):
        y = self.bn(self.conv(x))
        return y if isinstance(x, torch.Tensor) else -y


class TracedRaises(ConvBN):
    """Takes a list at run time; tracing sees one Proxy and drops the unpacking."""

    def forward(self, x):
        if isinstance(x, list):
            x = x[-1]
        return self.bn(self.conv(x))


def probe_batch():
    return torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize('body, as_list, reason', [
    (TracedDiffers, False, 'its outputs differ from the eager ones by 2.'),
    (TracedRaises, True, 'the fast path raised TypeError: conv2d() received an invalid '
                         'combination of arguments'),
])
def test_probe_keeps_the_eager_mentor_when_the_fast_one_breaks(body, as_list, reason,
                                                               fast_path_log):
    torch.manual_seed(0)
    mentor = Mentor(randomise_batchnorm(body()), as_list).eval()
    inputs = probe_batch()
    fast = FastMentor(mentor, name='broken')
    assert torch.equal(fast(inputs), mentor(inputs))
    assert torch.equal(fast(inputs + 1), mentor(inputs + 1))  # and it stays eager
    assert fast.mentor is mentor
    [line] = fast_path_log()
    assert line.startswith("mentor fast path: 'broken' runs eager: " + reason)


class Masked(ConvBN):
    """Like MMPretrain's ``WindowMSA.forward(x, mask=None)``, with a BatchNorm to fold."""

    def forward(self, x, mask=None):
        y = self.bn(self.conv(x))
        return y if mask is None else y * mask


class ShiftedWindows(nn.Module):
    """Like ``ShiftWindowMSA``: untraceable itself, it calls its child with and without a
    mask. Traced alone, the child kept its masked branch and crashed on ``mask=None``."""

    def __init__(self):
        super().__init__()
        self.attn = Masked()

    def forward(self, x):
        mask = (x[:, :1] > 0).float() if x.shape[-1] > 4 else None
        return self.attn(x, mask) + self.attn(x)


def test_modules_with_optional_inputs_are_not_traced_alone(fast_path_log):
    torch.manual_seed(0)
    mentor = Mentor(randomise_batchnorm(ShiftedWindows()))
    inputs = probe_batch()
    expected = mentor(inputs)
    assert torch.allclose(FastMentor(mentor, name='swin-like')(inputs), expected, atol=1e-6)
    [line] = fast_path_log()
    assert "'swin-like' passes its probe" in line and '0 of 1 BatchNorms folded' in line
    assert line.endswith(
        'not traced: body (TraceError: symbolically traced variables cannot be used as inputs '
        'to control flow); body.attn (forward takes optional inputs (mask) that tracing would '
        'freeze)')


class RefusesProxies(ConvBN):
    def forward(self, x):
        if isinstance(x, fx.Proxy):
            raise ValueError('no proxies here')
        return self.bn(self.conv(x))


def test_folding_names_why_it_did_not_trace_and_hides_no_other_error(fast_path_log):
    assert 'except Exception' not in inspect.getsource(folding)
    report = FoldReport()
    fold_batchnorm(ShiftedWindows().eval(), 'body', report)
    assert [path for path, _ in report.untraced] == ['body', 'body.attn']
    with pytest.raises(ValueError, match='no proxies here'):  # not a tracing error
        fold_batchnorm(RefusesProxies().eval(), 'body', FoldReport())
    mentor = Mentor(randomise_batchnorm(RefusesProxies()))
    inputs = probe_batch()
    assert torch.equal(FastMentor(mentor, name='m')(inputs), mentor(inputs))
    [line] = fast_path_log()
    assert line.endswith("'m' runs eager: the fast path raised ValueError: no proxies here")


def test_timm_batchnorm_act_folds_into_its_convolution():
    """timm's ``BatchNormAct2d`` calls ``F.batch_norm`` on its own statistics."""
    from timm.layers import BatchNormAct2d
    model = nn.Sequential(nn.Conv2d(3, 4, 3), BatchNormAct2d(4))
    randomise_batchnorm(model)
    inputs = probe_batch()
    expected = model(inputs)
    report = FoldReport()
    folded = fold_batchnorm(model, 'model', report)
    assert report.folded == 1
    assert not any(node.target is torch.nn.functional.batch_norm for node in folded.graph.nodes)
    assert torch.allclose(folded(inputs), expected, atol=1e-5)


class StandardisedConv(nn.Conv2d):
    """A convolution subclass that standardises its weights: rescaling them does nothing."""

    def forward(self, x):
        weight = self.weight - self.weight.mean(dim=(1, 2, 3), keepdim=True)
        weight = weight / weight.std(dim=(1, 2, 3), keepdim=True)
        return self._conv_forward(x, weight, self.bias)


def test_convolution_subclasses_are_folded_only_where_folding_is_exact():
    from mmcv.cnn.bricks import Conv2dAdaptivePadding
    for conv, folds in ((Conv2dAdaptivePadding(3, 4, 3, stride=2), 1),
                        (StandardisedConv(3, 4, 3), 0)):
        model = randomise_batchnorm(nn.Sequential(conv, nn.BatchNorm2d(4)))
        inputs = probe_batch()
        expected = model(inputs)
        report = FoldReport()
        folded = fold_batchnorm(model, 'model', report)
        assert report.folded == folds, type(conv).__name__
        assert torch.allclose(folded(inputs), expected, atol=1e-5)


def test_cuda_graph_on_a_cpu_batch_runs_without_one_and_says_so_once(fast_path_log):
    mentor = cifar('resnet8')
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        eager = mentor(inputs, mode='tensor')
    plain = FastMentor(copy.deepcopy(mentor), fold_bn=False, channels_last=False,
                       cuda_graph=True, name='resnet8')
    assert torch.equal(plain(inputs), eager) and torch.equal(plain(inputs), eager)
    assert plain.graphs is None
    fast = FastMentor(mentor, cuda_graph=True, name='resnet8')
    assert (fast(inputs) - eager).abs().max().item() <= 1e-4
    lines = fast_path_log()
    assert len(lines) == 2
    assert all("'resnet8' passes its probe" in line
               and 'no CUDA graph (the batch is on the cpu)' in line for line in lines)


class UnregisteredNetwork(nn.Module):
    """Runs a network that it keeps out of its registered modules."""

    def __init__(self, share_children: bool):
        super().__init__()
        network = nn.Sequential(ConvBN())
        if share_children:  # registers the same modules: the old TorchvisionClassifier
            for name, child in network.named_children():
                self.add_module(name, child)
        self.__dict__['network'] = network

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.network(inputs)


@pytest.mark.parametrize('share_children, reason', [
    (False, 'its forward reads 4 weights that are not registered parameters'),
    (True, "the transformed mentor's forward reads 2 weights that are not its registered "
           'parameters'),
])
def test_a_forward_that_runs_unregistered_modules_stays_eager(share_children, reason,
                                                              fast_path_log):
    torch.manual_seed(0)
    mentor = UnregisteredNetwork(share_children).eval()
    randomise_batchnorm(mentor.network)
    inputs = probe_batch()
    fast = FastMentor(mentor, dtype='bfloat16', name='hidden')
    assert torch.equal(fast(inputs), mentor(inputs))
    [line] = fast_path_log()
    assert line.startswith("mentor fast path: 'hidden' runs eager: " + reason)


def test_torchvision_mentor_loads_torchvision_weights_and_casts_what_runs(tmp_path,
                                                                          fast_path_log):
    import torchvision
    from classroomkd_mm.checkpoint import load_mentor_weights
    torch.manual_seed(0)
    reference = torchvision.models.squeezenet1_1(num_classes=10).eval()
    path = str(tmp_path / 'squeezenet1_1.pth')
    torch.save(reference.state_dict(), path)
    mentor = MODELS.build(dict(type='TorchvisionClassifier', name='squeezenet1_1',
                               num_classes=10))
    load_mentor_weights(mentor, path, 'squeezenet1_1')
    assert list(mentor.state_dict()) == list(reference.state_dict())
    assert dict(mentor.named_children())['network'] is mentor.network
    inputs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = reference(inputs)
        assert torch.equal(mentor.eval()(inputs), expected)
        assert mentor.to(torch.float64)(inputs.double()).dtype == torch.float64
    fast = FastMentor(mentor, dtype='bfloat16', name='squeezenet1_1')
    output = fast(inputs)  # a float64 eager mentor, made bfloat16
    assert next(fast.mentor.network.parameters()).dtype == torch.bfloat16
    assert (output - expected).abs().max().item() <= 0.05 * max(1, expected.abs().max().item())
    [line] = fast_path_log()
    assert "'squeezenet1_1' passes its probe" in line and 'bfloat16' in line
