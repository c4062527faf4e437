"""experiments.results: the resumable JSON store."""
import json

import pytest

from classroomkd_mm.experiments.results import ResultStore


def test_a_new_store_resumes_what_an_earlier_one_recorded(tmp_path):
    path = tmp_path / 'runs' / 'results.json'
    first = ResultStore(str(path))
    assert 'nokd/seed0' not in first and first.get('nokd/seed0') is None
    first.put('nokd/seed0', {'top1': 56.04})
    first.put('aver/seed0', {'top1': 59.1})
    assert json.loads(path.read_text()) == {'nokd/seed0': {'top1': 56.04},
                                            'aver/seed0': {'top1': 59.1}}
    again = ResultStore(str(path))
    assert 'nokd/seed0' in again and again.get('aver/seed0') == {'top1': 59.1}
    assert list(again) == ['nokd/seed0', 'aver/seed0'] and len(again) == 2
    again.remove('nokd/seed0', 'never/recorded')
    assert json.loads(path.read_text()) == {'aver/seed0': {'top1': 59.1}}


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path):
    path = tmp_path / 'results.json'
    store = ResultStore(str(path))
    store.put('a', 1)
    with pytest.raises(TypeError):  # half-way through json.dump
        store.put('b', {'value': object()})
    assert json.loads(path.read_text()) == {'a': 1}


def test_two_stores_of_one_file_keep_each_others_results(tmp_path):
    """``add`` records over the file as it is (as another process left it), under a lock."""
    path = str(tmp_path / 'results.json')
    first, second = ResultStore(path), ResultStore(path)
    first.add('runs', 'seed0', {'top1': 60.0})
    second.add('runs', 'seed1', {'top1': 61.0})
    first.add('runs', 'seed2', {'top1': 62.0})  # first never saw seed1 in memory
    everything = {'runs': {'seed0': {'top1': 60.0}, 'seed1': {'top1': 61.0},
                           'seed2': {'top1': 62.0}}}
    assert json.loads((tmp_path / 'results.json').read_text()) == everything
    assert first.data == everything
