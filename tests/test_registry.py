"""classroomkd_mm/registry.py: the project's names live in the scope ``ckd``, so another
plugin that registers the same generic names (``CifarResNet``, ``HeatmapAdapter``...) in
MMEngine's root registries clashes with nothing, and the shipped classroom configs build
from ``default_scope='mmpretrain'`` and ``'mmpose'`` beside it."""
import pytest
import torch
from mmengine import registry as mmengine_registry
from mmengine.config import Config
from mmengine.registry import DefaultScope

from classroomkd_mm import registry
from runner_utils import REPO

KINDS = ('MODELS', 'HOOKS', 'OPTIM_WRAPPERS', 'LOG_PROCESSORS')


class Impostor(torch.nn.Module):
    """Another plugin's module, registered under each of the project's names."""


@pytest.fixture
def other_plugin():
    import classroomkd_mm  # noqa: F401
    added = [(getattr(mmengine_registry, kind), name) for kind in KINDS
             for name in getattr(registry, kind).module_dict]
    for root, name in added:
        root.register_module(name=name, module=Impostor)
    yield
    for root, name in added:
        root.module_dict.pop(name)


def test_only_the_distiller_is_in_mmengine_root_registries():
    import classroomkd_mm  # noqa: F401
    ours = {kind: [name for name, obj in getattr(mmengine_registry, kind).module_dict.items()
                   if obj.__module__.startswith('classroomkd_mm')] for kind in KINDS}
    assert ours == dict(MODELS=['ClassroomKDDistiller'], HOOKS=[], OPTIM_WRAPPERS=[],
                        LOG_PROCESSORS=[])
    assert {'CifarResNet', 'build_cifar_classifier', 'TorchvisionClassifier'} <= set(
        registry.MODELS.module_dict)
    assert 'CPUAmpOptimWrapper' in registry.OPTIM_WRAPPERS.module_dict


@pytest.mark.parametrize('config', ['configs/cifar10/classroom_resnet8.py',
                                    'configs/lsp/rtmpose-t_classroom.py'])
def test_classroom_config_builds_beside_a_plugin_with_the_same_names(config, other_plugin,
                                                                      monkeypatch):
    monkeypatch.chdir(REPO)  # the shipped mentor files are named relative to the checkout
    cfg = Config.fromfile(config)
    assert cfg.default_scope == {'cifar10': 'mmpretrain', 'lsp': 'mmpose'}[config.split('/')[1]]
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        assert mmengine_registry.MODELS.get('CifarResNet') is Impostor  # theirs, by bare name
        built = [mmengine_registry.MODELS.build(cfg.model),
                 mmengine_registry.LOG_PROCESSORS.build(cfg.log_processor),
                 mmengine_registry.HOOKS.build(cfg.default_hooks.weights_only_checkpoints)]
        model = built[0]
        built.append(mmengine_registry.OPTIM_WRAPPERS.build(dict(
            type='ckd.CPUAmpOptimWrapper', optimizer=torch.optim.SGD(model.parameters(), 0.1))))
    assert type(model).__name__ == 'ClassroomKDDistiller'
    assert not any(isinstance(module, Impostor) for module in model.modules())
    assert [type(obj).__name__ for obj in built[1:]] == [
        'ClassroomLogProcessor', 'WeightsOnlyCheckpointHook', 'CPUAmpOptimWrapper']
