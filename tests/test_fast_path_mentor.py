"""The mentor fast path (``FastMentor``) gives the eager mentors' outputs, ranks and losses,
on toy mentors and on the mentors of the shipped classrooms (fp32, bf16, after
``.to(torch.float64)``), and keeps the eager mentor, saying why in one log line, wherever
it would not."""
import copy
import inspect
import logging

import pytest
import torch
from mmengine.registry import MODELS, init_default_scope
from mmengine.structures import InstanceData
from torch import fx, nn

from classroomkd_mm.engine import read_config
from classroomkd_mm.fast_path import TOLERANCES, FastMentor, folding
from classroomkd_mm.fast_path.checks import relative_deviation, tensors_of
from classroomkd_mm.fast_path.folding import FoldReport, fold_batchnorm
from fast_path_utils import fast_path_log  # noqa: F401  (a fixture)
from fast_path_utils import near_initial_batchnorm, randomise_batchnorm
from log_capture import logged_messages
from runner_utils import no_sync_bn_no_pretrained, save_zoo_checkpoint, walk

pytestmark = pytest.mark.usefixtures('pretrain_scope')


def cifar(arch):
    return randomise_batchnorm(MODELS.build(dict(type='ckd.build_cifar_classifier', arch=arch,
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
        mentors.append(dict(name=arch, model=dict(type='ckd.build_cifar_classifier', arch=arch,
                                                  num_classes=10), checkpoint=path))
    cfg = dict(type='ClassroomKDDistiller', mentors=mentors,
               student=dict(type='ckd.build_cifar_classifier', arch='resnet8', num_classes=10),
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
    mentor = MODELS.build(dict(type='ckd.TorchvisionClassifier', name='squeezenet1_1',
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


IMAGENET = 'configs/imagenet/classroom_resnet34_regnety320.py'
MPII = 'configs/mpii/litehrnet-18_classroom_same.py'
COCO = 'configs/coco/rtmpose-t_classroom.py'
# name: (classroom config, mentor name there, scope, input (H, W), BatchNorms folded / all)
MENTORS = {
    'swin_t': ('configs/cifar100/classroom_resnet18_swin_t.py', 'swin_t', 'mmpretrain',
               (224, 224), '0 of 0'),
    'squeezenet1_1': (IMAGENET, 'squeezenet1_1', 'mmpretrain', (64, 64), '0 of 0'),
    'regnety_002': (IMAGENET, 'regnety_320', 'mmpretrain', (64, 64), '44 of 44'),
    'regnety_016': (IMAGENET, 'regnety_016', 'mmpretrain', (64, 64), '86 of 86'),
    'efficientnet_b0': ('configs/cifar100/classroom_mobilenetv2_efficientnet_b0.py',
                        'efficientnet_b0_teacher', 'mmpretrain', (32, 32), '49 of 49'),
    'mobilenet_v2': (IMAGENET, 'mobilenet_v2', 'mmpretrain', (64, 64), '52 of 52'),
    'efficientnet_b3': (IMAGENET, 'efficientnet_b3', 'mmpretrain', (64, 64), '78 of 78'),
    # LiteHRNet's blocks take lists of branches, which torch.fx cannot iterate, and its
    # ConvModules take optional inputs: their BatchNorms stay (see the log line).
    'litehrnet-30': (MPII, 'litehrnet-30', 'mmpose', (64, 64), '193 of 337'),
    'hrnet-w32_dark': (MPII, 'hrnet-w32_dark', 'mmpose', (64, 64), '292 of 292'),
    'rtmpose-s': (COCO, 'rtmpose-s', 'mmpose', (256, 192), '39 of 39'),
}


def shipped_mentor_cfg(arch: str, **changes) -> dict:
    """The mentor's model config as its shipped classroom config gives it."""
    config, name = MENTORS[arch][:2]
    spec = next(m for m in read_config(config).model.mentors if m['name'] == name)
    model = read_config(spec['config']).model if 'config' in spec else spec['model']
    if arch == 'regnety_002':  # the ImageNet teacher's family, small enough for a test
        changes.setdefault('model_name', 'regnety_002')
    return dict(walk(copy.deepcopy(model), no_sync_bn_no_pretrained), **changes)


def build_mentor(arch, **changes):
    """The mentor (seeded, BatchNorms :func:`near_initial_batchnorm`) and a batch for it."""
    init_default_scope(MENTORS[arch][2])
    torch.manual_seed(0)
    mentor = near_initial_batchnorm(MODELS.build(shipped_mentor_cfg(arch, **changes)))
    return mentor, torch.randn(2, 3, *MENTORS[arch][3])


def weights_dtype(module):
    return next(module.parameters()).dtype


@pytest.mark.parametrize('arch', list(MENTORS))
def test_fast_path_answers_like_the_eager_mentor(arch, fast_path_log):
    mentor, inputs = build_mentor(arch)
    with torch.no_grad():
        eager = mentor(inputs, None, mode='tensor')

    fast = FastMentor(copy.deepcopy(mentor), name=arch)
    assert relative_deviation(fast(inputs), eager) <= TOLERANCES[torch.float32]
    fast.to(torch.float64)  # as the Runner's .to('cuda') would: after the probe
    output = fast(inputs)
    assert weights_dtype(fast.mentor) == torch.float64
    assert all(t.dtype == torch.float32 for t in tensors_of(output))
    assert relative_deviation(output, eager) <= TOLERANCES[torch.float32]

    bf16 = FastMentor(mentor, dtype='bfloat16', name=arch)
    output = bf16(inputs)
    assert weights_dtype(bf16.mentor) == torch.bfloat16
    assert all(torch.isfinite(t).all() for t in tensors_of(output))
    assert relative_deviation(output, eager) <= TOLERANCES[torch.bfloat16]

    fp32_line, bf16_line = fast_path_log()
    folded, batchnorms = MENTORS[arch][-1].split(' of ')
    assert fp32_line.startswith(f"mentor fast path: '{arch}' passes its probe")
    assert f'{folded} of {batchnorms} BatchNorms folded' in fp32_line and 'float32' in fp32_line
    assert 'passes its probe' in bf16_line and 'bfloat16' in bf16_line
    assert ('not traced: ' in fp32_line) == (folded != batchnorms)
    if arch == 'litehrnet-30':  # the log says why
        assert 'not traced: backbone (TraceError: symbolically traced variables cannot be ' \
               'used as inputs to control flow)' in fp32_line
        assert 'backbone.stem.conv1 (forward takes optional inputs (activate, norm) that ' \
               'tracing would freeze)' in fp32_line


def losses_with_and_without_fast_path(cfg, inputs, samples):
    torch.manual_seed(0)
    eager = MODELS.build(cfg)
    fast = MODELS.build(dict(cfg, mentor_fast_path=dict()))
    fast.student.load_state_dict(eager.student.state_dict())
    return eager.train()(inputs, samples, mode='loss'), fast.train()(inputs, samples, mode='loss')


def saved_mentor(arch, tmp_path, **changes):
    """A mentor entry of a classroom config, with its weights in a checkpoint file."""
    mentor, _ = build_mentor(arch, **changes)
    path = save_zoo_checkpoint(mentor, str(tmp_path / f'{arch}.pth'))
    return dict(name=arch, model=shipped_mentor_cfg(arch, **changes), checkpoint=path)


def test_classifier_classroom_loss_is_unchanged(tmp_path):
    from mmpretrain.structures import DataSample
    mentors = [saved_mentor('squeezenet1_1', tmp_path, num_classes=10),
               saved_mentor('regnety_016', tmp_path, num_classes=10)]
    for mentor in mentors:
        mentor['input_size'] = 64
    cfg = dict(type='ClassroomKDDistiller', mentors=mentors,
               student=dict(type='ckd.build_cifar_classifier', arch='resnet8', num_classes=10))
    samples = [DataSample().set_gt_label(i % 10) for i in range(4)]
    with logged_messages(logging.INFO) as messages:
        expected, got = losses_with_and_without_fast_path(cfg, torch.randn(4, 3, 32, 32),
                                                          samples)
    for name in ('squeezenet1_1', 'regnety_016'):  # the distiller names each mentor once
        assert sum(f"mentor fast path: '{name}'" in m for m in messages) == 1, messages
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.allclose(got[key], value, rtol=1e-4, atol=1e-5), key


def test_pose_classroom_loss_is_unchanged(tmp_path):
    from mmpose.structures import PoseDataSample
    mentor = saved_mentor('rtmpose-s', tmp_path)
    student = walk(read_config(COCO).model.student, no_sync_bn_no_pretrained)
    cfg = dict(type='ClassroomKDDistiller', mentors=[mentor], student=student)
    generator = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(2):
        sample = PoseDataSample(metainfo=dict(input_size=(192, 256)))
        sample.gt_instance_labels = InstanceData(
            keypoint_weights=torch.ones(1, 17),
            keypoint_x_labels=torch.rand(1, 17, 384, generator=generator),
            keypoint_y_labels=torch.rand(1, 17, 512, generator=generator))
        samples.append(sample)
    expected, got = losses_with_and_without_fast_path(cfg, torch.randn(2, 3, 256, 192),
                                                      samples)
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.allclose(got[key], value, rtol=1e-4, atol=1e-5), key
