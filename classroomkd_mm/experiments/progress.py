"""A one-line-per-stage progress bar for the demos.

On a terminal each stage's line is redrawn in place as its runs advance; elsewhere (a log
file, a pipe, CI) only each stage's final line is written, so the output stays short.

    progress = Progress(stages=3)
    with progress.stage('resnet8_nokd: student alone') as stage:
        metrics = train_and_test(config, work_dir, progress=stage)
        stage.outcome = f"{metrics['accuracy/top1']:.2f} % top-1"
"""
import sys
import time
from contextlib import contextmanager
from typing import Iterator, Optional, TextIO

from mmengine.hooks import Hook

REDRAW_SECONDS = 0.2


class Stage:
    """One stage's line: ``[2/7] label  ██████░░░░ train 120/300  12 s``, then
    ``[2/7] label  <outcome>  41 s``."""

    def __init__(self, prefix: str, stream: TextIO, live: bool, width: int):
        self.prefix, self.stream, self.live, self.width = prefix, stream, live, width
        self.outcome = ''
        self.start = time.monotonic()
        self.drawn = 0.0

    def update(self, phase: str, done: int, total: int) -> None:
        """``done`` of ``total`` steps of ``phase`` (e.g. 'train', 'test') are finished."""
        now = time.monotonic()
        if not self.live or (now - self.drawn < REDRAW_SECONDS and done < total):
            return
        self.drawn = now
        filled = self.width * done // max(total, 1)
        bar = '█' * filled + '░' * (self.width - filled)
        self._write(f'{bar} {phase} {done}/{total}', end='')

    def close(self, failed: bool = False) -> None:
        outcome = 'failed' if failed else self.outcome or 'done'
        self._write(outcome, end='\n')

    def _write(self, text: str, end: str) -> None:
        seconds = time.monotonic() - self.start
        line = f'{self.prefix}  {text}  {seconds:.0f} s'
        # '\r' and erase-to-end-of-line redraw the stage's line on a terminal
        self.stream.write(f'\r{line}\x1b[K{end}' if self.live else line + end)
        self.stream.flush()


class Progress:
    """Numbered stages, one line each (see the module docstring)."""

    def __init__(self, stages: int, stream: Optional[TextIO] = None, width: int = 20,
                 label_width: int = 40):
        self.stages, self.index = stages, 0
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self.width, self.label_width = width, label_width

    def _prefix(self, label: str) -> str:
        self.index += 1
        digits = len(str(self.stages))
        return f'[{self.index:>{digits}}/{self.stages}] {label:<{self.label_width}}'

    @contextmanager
    def stage(self, label: str) -> Iterator[Stage]:
        """A stage, closed with its ``outcome`` (or 'failed' on an exception)."""
        stage = Stage(self._prefix(label), self.stream, self.live, self.width)
        try:
            yield stage
        except BaseException:
            stage.close(failed=True)
            raise
        stage.close()

    def skip(self, label: str, outcome: str) -> None:
        """A stage that has nothing to do (its result was recorded before)."""
        self.stream.write(f'{self._prefix(label)}  {outcome} (recorded before)\n')
        self.stream.flush()


class ProgressHook(Hook):
    """Reports a Runner's training and test steps to a :class:`Stage`."""

    priority = 'VERY_LOW'

    def __init__(self, stage: Stage):
        self.stage = stage

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        # the loop counts this step after its hooks have run
        self.stage.update('train', runner.iter + 1, runner.max_iters)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        self.stage.update('test', batch_idx + 1, len(runner.test_dataloader))
