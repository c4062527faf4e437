"""experiments/methods.py: each method changes a real classroom config by exactly its
definition in configs/_base_/methods.py, and every shipped variant config is that method."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from classroomkd_mm.experiments.methods import METHOD_NAMES, method_config, variant_config
from runner_utils import REPO

CLASSROOM = osp.join(REPO, 'configs', 'cifar100', 'classroom_resnet20_resnet56.py')
AVER = {'model.kf.enabled': False, 'model.mentoring.enabled': False,
        'model.mentor_weights': 'equal'}
CA_MKD = dict(AVER, **{'model.mentor_weights': 'ca_mkd'})
# method: every config key it changes on CLASSROOM (six mentors, teacher first), new value
CHANGES = {
    'KD': dict(AVER, **{'model.mentors': ['resnet56']}),
    'AVER': AVER,
    'AVER α=λ': dict(AVER, **{'model.distill_weight': 6.0}),
    'CA-MKD (logits)': CA_MKD,
    'CA-MKD (logits) α=λ': dict(CA_MKD, **{'model.distill_weight': 6.0}),
    'ClassroomKD': {},
    'KF off': {'model.kf.enabled': False},
    'Mentoring off': {'model.mentoring.enabled': False},
    'KF off + Mentoring off': {'model.kf.enabled': False, 'model.mentoring.enabled': False},
    'Method B': {'model.kf.ranking': 'uniform'},
    'per-sample KF': {'model.kf.granularity': 'sample'},
    'DTKD': {'model.mentoring.mode': 'dtkd', 'model.mentoring.base_temperature': 4.0},
    'official-code parity': {'model.official_code_parity': True},
}


def flat(node, prefix=''):
    """``{'a.b': leaf}`` of nested dicts; a mentor list becomes its names."""
    if isinstance(node, dict):
        return {key: leaf for k, v in node.items()
                for key, leaf in flat(v, f'{prefix}{k}.').items()}
    if prefix == 'model.mentors.':
        node = [mentor['name'] for mentor in node]
    return {prefix[:-1]: node}


def changed(before: Config, after: Config) -> dict:
    old, new = flat(before.to_dict()), flat(after.to_dict())
    return {key: new.get(key, 'absent') for key in old.keys() | new.keys()
            if old.get(key, 'absent') != new.get(key, 'absent')}


@pytest.fixture(scope='module')
def classroom():
    return Config.fromfile(CLASSROOM)


@pytest.mark.parametrize('name', list(CHANGES))
def test_each_method_changes_the_classroom_by_its_definition(classroom, name):
    assert changed(classroom, method_config(classroom, name)) == CHANGES[name]
    assert classroom.model.kf.enabled and len(classroom.model.mentors) == 6  # left as it was


def test_nokd_is_the_student_alone_on_the_classroom_recipe(classroom):
    nokd = method_config(classroom, 'NOKD')
    assert nokd.model == dict(type=classroom.model.student.type, arch='resnet20',
                              num_classes=100)
    assert {k: v for k, v in nokd.items() if k != 'model'} == \
        {k: v for k, v in classroom.items() if k != 'model'}


def test_aver_alpha_lambda_weighs_by_the_mentor_count():
    noisy = osp.join(REPO, 'configs', 'lsp', 'rtmpose-t_classroom_noisy.py')
    assert [m.name for m in Config.fromfile(noisy).model.mentors] == [
        'rtmpose-s', 'rtmpose-t', 'rtmpose-t_weak']
    assert method_config(noisy, 'AVER α=λ').model.distill_weight == 3.0


@pytest.mark.parametrize('classroom, name', [
    *[('cifar100/classroom_resnet20_resnet56.py', name) for name in (
        'KD', 'AVER', 'KF off', 'Mentoring off', 'KF off + Mentoring off', 'Method B', 'DTKD')],
    ('lsp/rtmpose-t_classroom.py', 'AVER α=λ'),
    ('lsp/litehrnet-18_classroom.py', 'per-sample KF'),
    ('cifar10/classroom_resnet8.py', 'CA-MKD (logits)'),
])
def test_a_shipped_variant_is_its_method_on_its_classroom(classroom, name):
    path = osp.join(REPO, 'configs', classroom)
    variant = Config.fromfile(variant_config(path, name)).to_dict()
    assert variant.pop('methods').keys() == set(METHOD_NAMES.values())  # carried along
    assert variant == method_config(path, name).to_dict()


def test_the_names_are_the_definitions_in_order():
    definitions = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'methods.py')).methods
    assert list(METHOD_NAMES) == ['NOKD'] + list(CHANGES)
    assert sorted(METHOD_NAMES.values()) == sorted(definitions)
    with pytest.raises(ValueError, match="unknown method 'SOTA'"):
        method_config(CLASSROOM, 'SOTA')


def test_every_shipped_variant_reads_its_method():
    """A variant is ``<classroom>_<method>.py``; each merges ``_base_.methods.<its key>``."""
    variants = [(variant_config(classroom, name), METHOD_NAMES[name])
                for classroom in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
                for name in list(METHOD_NAMES)[1:] if name != 'ClassroomKD']
    shipped = [(path, key) for path, key in variants if osp.isfile(path)]
    assert len(shipped) == 98
    for path, key in shipped:
        with open(path) as f:
            assert f'_base_.methods.{key}' in f.read(), path
    with pytest.raises(ValueError, match='no variant config'):
        variant_config(CLASSROOM, 'NOKD')
