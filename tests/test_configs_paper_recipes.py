"""The paper's recipes, read back from the shipped configs: the CIFAR-100 lr schedules, the
210-epoch COCO schedule, the Swin-T teacher's ImageNet start, the CIFAR EfficientNet-B0 and
the ImageNet mentors' weights."""
import glob
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import HOOKS, MODELS, PARAM_SCHEDULERS, init_default_scope
from torch import nn

import classroomkd_mm  # noqa: F401
from classroomkd_mm.engine import read_config
from classroomkd_mm.engine.launch import load_config
from classroomkd_mm.experiments.methods import method_config, variant_config
from runner_utils import REPO, save_zoo_checkpoint

CIFAR = osp.join(REPO, 'configs', 'cifar100')
COCO = osp.join(REPO, 'configs', 'coco')
CHECKED_EPOCHS = (0, 60, 119, 120, 150, 180, 210, 239)


def lr_by_epoch(cfg, epochs: int):
    """The lr of each epoch, from the config's epoch-based schedulers stepped once per epoch
    (iteration-converted ones with one iteration per epoch; warm-ups by iteration left out)."""
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=cfg.optim_wrapper.optimizer.lr)
    schedulers = [
        PARAM_SCHEDULERS.build(dict(s, optimizer=optimizer, **(
            dict(epoch_length=1) if s.get('convert_to_iter_based') else {})))
        for s in cfg.param_scheduler if s.get('by_epoch', True)]
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    return lrs


def test_classrooms_train_on_the_authors_schedule():
    """0.05 down to 0.01 linearly over epochs 0-120, then 0.01, 1e-3, 1e-4, 1e-5 from 120,
    150, 180, 210."""
    cfg = Config.fromfile(osp.join(CIFAR, 'classroom_resnet20_resnet110.py'))
    lrs = lr_by_epoch(cfg, 240)
    assert [lrs[e] for e in CHECKED_EPOCHS] == pytest.approx(
        [0.05, 0.03, 0.05 - 0.04 * 119 / 120, 0.01, 1e-3, 1e-4, 1e-5, 1e-5], rel=1e-9)
    assert lrs[149] == pytest.approx(0.01) and lrs[179] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))  # never rises


def test_mentors_and_nokd_train_on_the_crd_schedule():
    cfg = Config.fromfile(osp.join(CIFAR, 'standalone', 'resnet20.py'))
    lrs = lr_by_epoch(cfg, 240)
    assert [lrs[e] for e in CHECKED_EPOCHS] == pytest.approx(
        [0.05, 0.05, 0.05, 0.05, 5e-3, 5e-4, 5e-5, 5e-5], rel=1e-9)
    assert lrs[149] == 0.05
    # the same schedule, on a classroom, from one command-line option
    classroom = load_config(osp.join(CIFAR, 'classroom_resnet20_resnet110.py'),
                            ['param_scheduler.0.end_factor=1.0'])
    assert lr_by_epoch(classroom, 240) == pytest.approx(lrs, rel=1e-12)


def test_every_cifar_classroom_inherits_the_authors_schedule():
    authors = Config.fromfile(osp.join(CIFAR, '_base_', 'recipe_240e.py')).param_scheduler
    crd = Config.fromfile(osp.join(CIFAR, '_base_', 'recipe_240e_crd.py')).param_scheduler
    assert authors != crd
    for path in glob.glob(osp.join(CIFAR, 'classroom_*.py')):  # none sets its own schedule
        with open(path) as f:
            text = f.read()
        assert 'param_scheduler' not in text and 'recipe' not in text, path
    for stem in ('mobilenetv2_vgg13_kf-off-mentoring-off', 'resnet18_swin_t',
                 'mobilenetv2_efficientnet_b0_low'):
        assert Config.fromfile(osp.join(CIFAR, f'classroom_{stem}.py')).param_scheduler == \
            authors, stem
    for arch in ('resnet20', 'resnet18', 'mobilenetv2', 'vgg13', 'resnet50'):
        assert Config.fromfile(osp.join(CIFAR, 'standalone', f'{arch}.py')).param_scheduler \
            == crd, arch


STOCK_RTMPOSE_T = 'mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py'


def switch_hook(cfg):
    [hook] = [h for h in cfg.custom_hooks if h.type == 'mmdet.PipelineSwitchHook']
    return hook


def test_coco_210_epochs_rescale_cosine_and_pipeline_switch():
    stock = read_config(STOCK_RTMPOSE_T)
    cfg = Config.fromfile(osp.join(COCO, 'rtmpose-t_classroom_210e.py'))
    assert (stock.train_cfg.max_epochs, cfg.train_cfg.max_epochs) == (420, 210)
    warmup, cosine = cfg.param_scheduler
    assert warmup == Config.fromfile(osp.join(COCO, 'rtmpose-t_classroom.py')).param_scheduler[0]
    assert (warmup.by_epoch, warmup.end) == (False, 1000)  # 1000 iterations, unchanged
    assert (cosine.type, cosine.begin, cosine.end, cosine.T_max) == ('CosineAnnealingLR',
                                                                      105, 210, 105)
    assert (stock.param_scheduler[1].begin, stock.param_scheduler[1].end) == (210, 420)
    lrs = lr_by_epoch(cfg, 210)
    base_lr, eta_min = cfg.optim_wrapper.optimizer.lr, cosine.eta_min
    assert lrs[104] == lrs[105] == base_lr == 4e-3
    assert lrs[105 + 52] == pytest.approx(eta_min + (base_lr - eta_min) * 0.5 * (
        1 + torch.cos(torch.tensor(52 / 105 * torch.pi)).item()), rel=1e-6)
    assert lrs[209] == pytest.approx(eta_min, rel=1e-2)
    assert (switch_hook(stock).switch_epoch, switch_hook(cfg).switch_epoch) == (390, 180)
    assert switch_hook(cfg).switch_pipeline == stock.train_pipeline_stage2
    init_default_scope('mmpose')
    assert HOOKS.build(switch_hook(cfg)).switch_epoch == 180


@pytest.mark.parametrize('method', ['AVER', 'KF off', 'Mentoring off'])
def test_coco_210e_variants_keep_the_schedule(method):
    path = osp.join(COCO, 'rtmpose-t_classroom_210e.py')
    classroom = Config.fromfile(path)
    cfg = Config.fromfile(variant_config(path, method))
    for key in ('param_scheduler', 'custom_hooks', 'train_cfg'):
        assert cfg[key] == classroom[key]
    assert cfg.model == method_config(classroom, method).model


def test_coco_210e_nokd_is_the_stock_student_on_the_same_schedule():
    classroom = Config.fromfile(osp.join(COCO, 'rtmpose-t_classroom_210e.py'))
    nokd = Config.fromfile(osp.join(COCO, 'rtmpose-t_nokd_210e.py'))
    assert nokd.model == Config.fromfile(osp.join(COCO, 'rtmpose-t_nokd.py')).model
    assert nokd.log_processor.type == 'LogProcessor'
    for key in ('param_scheduler', 'custom_hooks', 'train_cfg', 'optim_wrapper'):
        assert nokd[key] == classroom[key]


def mmpretrain_weights(config_dir: str, name: str) -> str:
    import mmpretrain
    path = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs', config_dir,
                    'metafile.yml')
    with open(path) as f:
        [model] = [m for m in yaml.safe_load(f)['Models'] if m['Name'] == name]
    return model['Weights']


def test_swin_t_teacher_starts_from_mmpretrains_imagenet_weights(tmp_path):
    cfg = Config.fromfile(osp.join(CIFAR, 'standalone', 'swin_t.py'))
    init = cfg.model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone'
    assert init.checkpoint == mmpretrain_weights('swin_transformer', 'swin-tiny_16xb64_in1k')
    assert cfg.train_pipeline[-2] == dict(type='Resize', scale=224)
    # Loading: an ImageNet-layout Swin-T classifier file fills the backbone, not the head.
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    imagenet = MODELS.build(dict(cfg.model, backbone=dict(cfg.model.backbone, init_cfg=None),
                                 head=dict(cfg.model.head, num_classes=1000)))
    local = save_zoo_checkpoint(imagenet, str(tmp_path / 'swin_tiny_in1k.pth'))
    model = MODELS.build(dict(cfg.model, backbone=dict(cfg.model.backbone,
                                                       init_cfg=dict(init, checkpoint=local))))
    model.init_weights()
    loaded = model.backbone.state_dict()
    for key, value in imagenet.backbone.state_dict().items():
        assert torch.equal(loaded[key], value), key
    assert model.head.fc.weight.shape == (100, 768)


def test_cifar_efficientnet_b0_keeps_a_2x2_map_at_32_pixels():
    cfg = Config.fromfile(osp.join(CIFAR, 'standalone', 'efficientnet_b0.py'))
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    assert model.backbone.network.conv_stem.stride == (1, 1)
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        [features] = model.backbone(images)
        logits = model(images, mode='tensor')
    assert features.shape == (2, 1280, 2, 2)
    assert logits.shape == (2, 100)
    # Appendix A: six EfficientNet-B0 mentors hold 24.81 M parameters, 4.135 M each.
    assert sum(p.numel() for p in model.parameters()) == 4_135_648
    timm_stem = MODELS.build(dict(cfg.model.backbone, stem_stride=2)).eval()
    with torch.no_grad():
        assert timm_stem(images)[0].shape == (2, 1280, 1, 1)
    zoo = Config.fromfile(osp.join(CIFAR, '_base_', 'mentor_zoo.py'))
    for name in zoo.efficientnet_b0_targets:
        assert zoo.cifar100_mentors[name].model == cfg.model


def test_imagenet_mentors_name_the_papers_weights():
    from torchvision.models import SqueezeNet1_1_Weights
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'imagenet',
                                   'classroom_resnet34_regnety320.py'))
    mentors = {m.name: m for m in cfg.model.mentors}
    for name in ('regnety_320', 'regnety_016'):
        tag = f'{name}.pycls_in1k'
        assert mentors[name].model.model_name == tag
        assert osp.basename(mentors[name].checkpoint) == f'{tag}.pth'
    assert mentors['squeezenet1_1'].checkpoint == SqueezeNet1_1_Weights.IMAGENET1K_V1.url
    assert mentors['mobilenet_v2'].checkpoint == mmpretrain_weights(
        'mobilenet_v2', 'mobilenet-v2_8xb32_in1k')
    assert mentors['efficientnet_b3'].checkpoint == mmpretrain_weights(
        'efficientnet', 'efficientnet-b3_3rdparty_8xb32_in1k')
