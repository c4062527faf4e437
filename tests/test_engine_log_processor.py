"""ClassroomLogProcessor: one classroom summary per console line, every value in the scalars,
and each mentor's running activation rate; on the lines and scalars of a real training run
(conftest's ``trained_classroom``: the tiny CIFAR-10 classroom, three mentors, 2 epochs)."""
import glob
import json
import os.path as osp
import re

import pytest

from classroomkd_mm import telemetry
from classroomkd_mm.engine.log_processor import classroom_summary

MENTORS = ('resnet20', 'resnet14', 'mobilenetv2')
SUMMARY = re.compile(r'  r_student (\d\.\d\d) \| teaching (\d)/3(?:: (.*))?$')
MENTOR = re.compile(r'(\w+) \(r (\d\.\d\d), T (\d+\.\d)\)')


def test_the_summary_names_the_teaching_mentors_with_their_rank_and_temperature():
    tag = {'train/rank/student': 0.524, 'train/active/teacher': 1.0,
           'train/rank/teacher': 1.206, 'train/temp/teacher': 7.04, 'train/active/peer': 0.0,
           'train/rank/peer': 0.27, 'train/temp/peer': 3.1, 'train/loss': 2.0}
    assert classroom_summary(tag, 'train') == \
        'r_student 0.52 | teaching 1/2: teacher (r 1.21, T 7.0)'
    # the mean of a per-sample flag over the batch: a mentor teaching half of it counts
    flat = {key[len('train/'):]: value for key, value in tag.items()}
    flat[telemetry.active_key('peer')] = 0.5
    assert classroom_summary(flat, 'train') == ('r_student 0.52 | teaching 2/2: teacher '
                                                '(r 1.21, T 7.0), peer (r 0.27, T 3.1)')


def test_a_real_runs_console_lines_carry_one_classroom_summary(trained_classroom):
    _, _, output = trained_classroom
    lines = [line for line in output.splitlines() if 'Epoch(train)' in line]
    assert len(lines) == 8  # 2 epochs of 4 steps, a line per step
    for line in lines:
        summary = SUMMARY.search(line)
        assert summary, line
        assert not any(prefix in line for prefix in telemetry.STEP_PREFIXES), line
        teaching = MENTOR.findall(summary.group(3) or '')
        assert len(teaching) == int(summary.group(2))
        assert all(name in MENTORS for name, _, _ in teaching)
        assert all(float(rank) >= float(summary.group(1)) for _, rank, _ in teaching)  # Eq. 6


def test_a_real_runs_scalars_hold_every_value_and_the_running_activation_rates(
        trained_classroom):
    _, work_dir, _ = trained_classroom
    [path] = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        steps = [record for record in map(json.loads, f) if 'loss_distill' in record]
    assert len(steps) == 8
    for name in MENTORS:
        keys = (telemetry.rank_key(name), telemetry.temperature_key(name),
                telemetry.active_key(name), telemetry.active_rate_key(name))
        assert all(set(keys) <= set(step) for step in steps)
        active = [step[telemetry.active_key(name)] for step in steps]
        rates = [step[telemetry.active_rate_key(name)] for step in steps]
        assert rates == pytest.approx([sum(active[:i + 1]) / (i + 1) for i in range(8)])
    assert all({telemetry.rank_key(telemetry.STUDENT), telemetry.NONFINITE_STUDENT,
                telemetry.NONFINITE_MENTORS, telemetry.VALID_FRACTION} <= set(step)
               for step in steps)
