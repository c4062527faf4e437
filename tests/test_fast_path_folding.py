"""BatchNorm folding and in-place activations on a frozen module's ``torch.fx`` graph:
exact up to float rounding, and only where they are."""
import torch
from mmengine.registry import MODELS
from torch import fx, nn

from classroomkd_mm.fast_path.folding import FoldReport, add_into, fold_batchnorm
from fast_path_utils import randomise_batchnorm


def probe_batch():
    return torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))


def in_place_nodes(model):
    return sum(node.target in (torch.relu_, add_into) for module in model.modules()
               if isinstance(module, fx.GraphModule) for node in module.graph.nodes)


def test_resnet_activations_and_residual_sums_run_in_place(pretrain_scope):
    model = randomise_batchnorm(MODELS.build(dict(type='ckd.build_cifar_classifier',
                                                  arch='resnet20', num_classes=10)))
    inputs = torch.randn(2, 3, 32, 32)
    expected = model(inputs, mode='tensor')
    batchnorms = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    report = FoldReport()
    model.backbone = fold_batchnorm(model.backbone, 'backbone', report)
    # 9 basic blocks: two ReLUs and one residual sum each, plus the stem's ReLU
    assert report.in_place == in_place_nodes(model) == 9 * 3 + 1
    assert report.folded == batchnorms and not report.untraced
    assert torch.allclose(model(inputs, mode='tensor'), expected, atol=1e-4)


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
