"""Train then test a config, or test a checkpoint, through MMEngine's Runner.

``options`` are dotted config keys, as ``--cfg-options`` takes them
(``{'train_cfg.max_epochs': 2, 'model.arch': 'resnet20'}``). With ``quiet=True`` nothing
reaches the console: MMEngine's log (the config, the hooks, every logged step and the
Python warnings of the run) goes to ``<work_dir>/<timestamp>/<timestamp>.log`` only, next to
the dumped config and ``vis_data/scalars.json``.
"""
import copy
import io
import logging
import os.path as osp
import sys
import warnings
from contextlib import contextmanager, nullcontext, redirect_stdout
from typing import Dict, Iterator, Optional, Union

from mmengine.config import Config
from mmengine.runner import Runner

from ..engine.config_files import read_config
from .progress import ProgressHook, Stage
from .stats import step_means


class QuietRunner(Runner):
    """A Runner whose logger writes to its log file only, not to the console."""

    def build_logger(self, *args, **kwargs):
        logger = super().build_logger(*args, **kwargs)
        for handler in list(logger.handlers):
            if not isinstance(handler, logging.FileHandler):
                logger.removeHandler(handler)
        return logger


def load_config(cfg_or_path: Union[str, Config], work_dir: str,
                options: Optional[dict] = None) -> Config:
    """A copy of the config (or the config file) with ``options`` and ``work_dir`` set."""
    if isinstance(cfg_or_path, Config):
        cfg = copy.deepcopy(cfg_or_path)
    else:
        cfg = read_config(cfg_or_path)
    cfg.merge_from_dict(options or {})
    cfg.work_dir = work_dir
    # The logger, visualizer and message hub are named by the experiment: one per work dir
    cfg.experiment_name = osp.abspath(work_dir)
    return cfg


class QuietOutput(io.TextIOBase):
    """What a quiet run prints or warns: kept until its Runner's logger exists, then logged
    to its log file (or shown on stderr at the end, if the Runner could not be built)."""

    def __init__(self):
        self.logger, self.pending = None, []

    def write(self, text: str, level: int = logging.INFO) -> int:
        if text.strip():
            if self.logger is None:
                self.pending.append((level, text.rstrip()))
            else:
                self.logger.log(level, text.rstrip())
        return len(text)

    def show_warning(self, message, category, filename, lineno, file=None, line=None):
        self.write(warnings.formatwarning(message, category, filename, lineno, line),
                   logging.WARNING)

    def attach(self, logger) -> None:
        self.logger = logger
        for level, text in self.pending:
            logger.log(level, text)
        self.pending = []


@contextmanager
def quiet_console() -> Iterator[QuietOutput]:
    """Everything printed to stdout, and every Python warning, goes to a :class:`QuietOutput`."""
    output = QuietOutput()
    with warnings.catch_warnings(), redirect_stdout(output):
        warnings.showwarning = output.show_warning
        try:
            yield output
        finally:
            for _, text in output.pending:
                print(text, file=sys.stderr)


@contextmanager
def build_runner(cfg: Config, quiet: bool = True,
                 progress: Optional[Stage] = None) -> Iterator[Runner]:
    """The Runner of ``cfg``; quiet, what it prints or warns goes to its log file only."""
    with quiet_console() if quiet else nullcontext() as output:
        if quiet:  # the config goes to files only: unformatted (yapf takes seconds a run)
            cfg = Config(cfg.to_dict(), filename=cfg.filename, format_python_code=False)
        runner = (QuietRunner if quiet else Runner).from_cfg(cfg)
        if quiet:
            output.attach(runner.logger)
        if progress is not None:
            runner.register_hook(ProgressHook(progress))
        try:
            yield runner
        finally:
            stop_loader_workers(runner)


def stop_loader_workers(runner: Runner) -> None:
    """Stop the worker processes that the run's data loaders keep (``persistent_workers``).
    Left to the garbage collector, they are joined in the middle of whatever runs next (the
    next run's dataset build, in a sweep), each after a 5 s timeout."""
    for loop in ('_train_loop', '_val_loop', '_test_loop'):
        loader = getattr(getattr(runner, loop, None), 'dataloader', None)
        iterator = getattr(loader, '_iterator', None)
        if hasattr(iterator, '_shutdown_workers'):
            iterator._shutdown_workers()


def train_and_test(cfg_or_path: Union[str, Config], work_dir: str,
                   options: Optional[dict] = None, quiet: bool = True,
                   progress: Optional[Stage] = None, validate: bool = False) -> Dict[str, float]:
    """Train, then test the trained model once. Without ``validate`` no validation loop is
    built; with it, the config's validation loop runs where its ``val_interval`` says, and the
    metrics of its last run come back as ``val/<metric>``.

    Returns the test metrics (e.g. ``accuracy/top1``, ``PCK``) and, for a classroom, its
    telemetry averaged over the training steps (``rank/…``, ``temp/…``, ``active_rate/…``,
    and per epoch ``active_rate_by_epoch/…``, see
    :func:`~classroomkd_mm.experiments.stats.step_means`). ``progress`` receives the
    training and test steps.
    """
    cfg = load_config(cfg_or_path, work_dir, options)
    if not validate:
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    with build_runner(cfg, quiet, progress) as runner:
        runner.train()
        validated = {key: runner.message_hub.get_scalar(key).current()
                     for key in runner.message_hub.log_scalars if key.startswith('val/')}
        metrics = runner.test()
        return dict(metrics, **validated,
                    **step_means(runner.message_hub, len(runner.train_dataloader)))


def test_checkpoint(cfg_or_path: Union[str, Config], checkpoint: str, work_dir: str,
                    options: Optional[dict] = None, quiet: bool = True,
                    progress: Optional[Stage] = None) -> Dict[str, float]:
    """The test metrics of ``checkpoint``'s weights in the config's model."""
    cfg = load_config(cfg_or_path, work_dir, dict(options or {}, load_from=checkpoint))
    with build_runner(cfg, quiet, progress) as runner:
        return dict(runner.test())
