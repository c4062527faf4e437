"""The project's registries: children of MMEngine's root registries under the scope ``ckd``.

Configs name the project's modules with the scope, e.g. ``type='ckd.CifarResNet'``, from
any ``default_scope`` (``'mmpose'``, ``'mmpretrain'``): MMEngine resolves a scoped name
through the root registry's children, so another plugin's ``CifarResNet`` cannot clash with
ours. Only ``ClassroomKDDistiller`` is also registered in MMEngine's root ``MODELS``, so user
configs reach it by its bare name.
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import Registry

SCOPE = 'ckd'
MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE)
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=SCOPE)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, scope=SCOPE)
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS, scope=SCOPE)
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope=SCOPE)
