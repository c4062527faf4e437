"""The CIFAR-10 demo speaks to a person: one line per stage, then the table; a rerun skips
what is recorded."""
import io
import json

from classroomkd_mm.experiments import cifar10_demo
from runner_utils import REPO


def test_a_recorded_demo_prints_one_line_per_stage_and_the_table(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # the demo's configs and data are named relative to the checkout
    names = [stage.name for stage in cifar10_demo.stages()]
    assert names == ['resnet56', 'shufflev2', 'resnet32', 'resnet20', 'resnet8_nokd',
                     'resnet8_aver', 'resnet8_classroomkd']
    recorded = {name: {'accuracy/top1': 50.0 + index} for index, name in enumerate(names)}
    (tmp_path / 'results.json').write_text(json.dumps(recorded))
    stream = io.StringIO()
    table = cifar10_demo.run_demo(str(tmp_path), stream=stream).splitlines()
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith('[1/8] unpack the CIFAR-10 subset') and 'data/cifar10_demo/' \
        in lines[0]
    assert lines[1] == f"[2/8] {'test resnet56':<44}  50.00 % top-1 (recorded before)"
    assert lines[7].startswith('[8/8] train and test resnet8_classroomkd ')
    assert len(lines) == 8
    assert table[0] == ('CIFAR-10: 5000 training images (the first 500 of each class), '
                        '5000 test images; students trained 12 epochs (seed 0)')
    assert table[1:] == [
        'model                 what                     top-1 (%)',
        'resnet56              mentor (resnet56)            50.00',
        'shufflev2             mentor (shufflev2)           51.00',
        'resnet32              mentor (resnet32)            52.00',
        'resnet20              mentor (resnet20)            53.00',
        'resnet8_nokd          student alone (NOKD)         54.00',
        'resnet8_aver          student, AVER                55.00',
        'resnet8_classroomkd   student, ClassroomKD         56.00']
