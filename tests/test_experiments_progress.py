"""experiments.progress: one line per stage; redrawn in place on a terminal only."""
import io

import pytest

from classroomkd_mm.experiments import progress as progress_module
from classroomkd_mm.experiments.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_off_a_terminal_each_stage_writes_its_final_line_only():
    stream = io.StringIO()
    progress = Progress(3, stream, label_width=12)
    progress.skip('mentor', '88.50 % top-1')
    with progress.stage('nokd') as stage:
        stage.update('train', 5, 10)
        stage.outcome = '56.04 % top-1'
    with pytest.raises(KeyError):
        with progress.stage('aver'):
            raise KeyError
    assert stream.getvalue().splitlines() == [
        '[1/3] mentor        88.50 % top-1 (recorded before)',
        '[2/3] nokd          56.04 % top-1  0 s',
        '[3/3] aver          failed  0 s']


def test_on_a_terminal_the_bar_is_redrawn_on_the_stages_line(monkeypatch):
    monkeypatch.setattr(progress_module, 'REDRAW_SECONDS', 0.0)
    stream = Terminal()
    with Progress(1, stream, width=4, label_width=4).stage('nokd') as stage:
        stage.update('train', 1, 4)
        stage.update('test', 2, 2)
        stage.outcome = 'done well'
    assert stream.getvalue() == ('\r[1/1] nokd  █░░░ train 1/4  0 s\x1b[K'
                                 '\r[1/1] nokd  ████ test 2/2  0 s\x1b[K'
                                 '\r[1/1] nokd  done well  0 s\x1b[K\n')
