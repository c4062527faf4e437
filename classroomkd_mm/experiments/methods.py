"""The methods of configs/_base_/methods.py, applied to any classroom config.

``method_config(classroom, 'AVER')`` is the config a benchmark trains for AVER on that
classroom: the same config a shipped variant (``classroom_x_aver.py``) reads from the same
definition. ``variant_config`` names that shipped file.
"""
import copy
import os.path as osp
from functools import lru_cache
from typing import Union

from mmengine.config import Config, ConfigDict

from ..engine.config_files import read_config

# human name -> key in configs/_base_/methods.py, in the order reports list them
METHOD_NAMES = {
    'NOKD': 'nokd',
    'KD': 'kd',
    'AVER': 'aver',
    'AVER α=λ': 'aver_matched',
    'CA-MKD (logits)': 'ca_mkd',
    'CA-MKD (logits) α=λ': 'ca_mkd_matched',
    'ClassroomKD': 'classroomkd',
    'KF off': 'kf_off',
    'Mentoring off': 'mentoring_off',
    'KF off + Mentoring off': 'kf_off_mentoring_off',
    'Method B': 'method_b',
    'per-sample KF': 'per_sample',
    'DTKD': 'dtkd',
    'official-code parity': 'parity',
}


def configs_dir() -> str:
    """The project's configs/: the checkout's, or an installed copy's ``.mim/configs``."""
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    installed = osp.join(package, '.mim', 'configs')
    return installed if osp.isdir(installed) else osp.join(osp.dirname(package), 'configs')


@lru_cache(maxsize=None)
def _definitions() -> ConfigDict:
    return Config.fromfile(osp.join(configs_dir(), '_base_', 'methods.py')).methods


def _key(name: str) -> str:
    if name not in METHOD_NAMES:
        raise ValueError(f'unknown method {name!r}; choose one of {list(METHOD_NAMES)}')
    return METHOD_NAMES[name]


def method_config(classroom: Union[str, Config], name: str) -> Config:
    """A copy of ``classroom`` (a ClassroomKDDistiller config, or its path) that trains method
    ``name`` (a key of ``METHOD_NAMES``) with the classroom's data, schedule and runtime."""
    cfg = copy.deepcopy(read_config(classroom) if isinstance(classroom, str) else classroom)
    changes = copy.deepcopy(_definitions()[_key(name)])
    if changes == 'student alone':
        cfg.model = cfg.model.student
        return cfg
    if changes.get('mentors') == 'teacher alone':
        changes.mentors = cfg.model.mentors[:1]
    if changes.get('distill_weight') == 'mentor count':
        changes.distill_weight = float(len(cfg.model.mentors))
    cfg.merge_from_dict(dict(model=changes))
    return cfg


def variant_config(classroom: str, name: str) -> str:
    """The path of the shipped config of method ``name`` on the classroom at ``classroom``:
    ``x.py`` itself for ClassroomKD, else ``x_<key with - for _>.py`` (``x_kf-off.py``);
    whether it exists is the caller's check. NOKD has none (its configs are the students')."""
    key = _key(name)
    if key == 'nokd':
        raise ValueError('NOKD has no variant config: train the classroom\'s student config')
    if key == 'classroomkd':
        return classroom
    return f"{classroom[:-len('.py')]}_{key.replace('_', '-')}.py"
