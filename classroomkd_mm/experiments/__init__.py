"""Experiments over MMEngine's Runner: the logic of the tools, benchmarks and demos.

Shared by all of them:

- :mod:`.runs`: train then test a config, or test a checkpoint, through the Runner;
- :mod:`.results`: a resumable JSON result store;
- :mod:`.stats`: statistics over seeds and the classroom's activation rates;
- :mod:`.scalars`: MMEngine's ``vis_data/scalars.json``;
- :mod:`.progress`: a one-line-per-stage progress bar;
- :mod:`.methods`: the method variants of ``configs/_base_/methods.py``;
- :mod:`.sweep`: several methods of one seed in one process, sharing the mentors' outputs;
- :mod:`.tau_selection`: temperatures chosen on a validation split, and their table;
- :mod:`.docs_page`: a report's generated block in a docs page.

Per experiment: ``cifar10_*`` (CIFAR-10 benchmark, mentor recipe, demo), ``lsp*`` (LSP
benchmark, mentors, demo), ``paper_runs``, ``step_time`` (the per-step time of each method).
"""
