"""experiments/paper_runs.py: a run for every row of Tables 1-6 and Figures 3-4, each config
building; docs/reproduction.md's table."""
import os.path as osp

from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from classroomkd_mm.engine import read_config
from classroomkd_mm.engine.launch import load_config
from classroomkd_mm.experiments import paper_runs
from runner_utils import REPO

ROWS = paper_runs.all_rows()


def test_every_table_and_figure_has_runs():
    tables = {row.table for row in ROWS}
    assert tables == {'mentors', 'table1', 'table2a', 'table2b', 'table2c', 'table3a',
                      'table3b', 'table4a', 'table4b', 'table5', 'table6', 'fig3', 'fig4'}
    count = {table: sum(row.table == table for row in ROWS) for table in tables}
    assert count['table1'] == 27 and count['table6'] == 20 and count['table2c'] == 9
    assert count['fig3'] == 2 * len(paper_runs.TAU_GRID) and count['fig4'] == 4 * 6


def test_table3_kf_and_mentoring_off_keeps_rank_weights():
    [row] = [r for r in ROWS if r.table == 'table3b' and r.label == 'KF off, Mentoring off']
    model = Config.fromfile(osp.join(REPO, row.run.config)).model
    assert (model.kf.enabled, model.mentoring.enabled, model.mentor_weights) == (False, False,
                                                                               'rank')
    assert row.paper == '65.96'


def test_figure4_grows_the_classroom_of_table3():
    classroom = Config.fromfile(osp.join(REPO, paper_runs.CIFAR,
                                         'classroom_mobilenetv2_vgg13.py'))
    assert paper_runs.FIG4_TEACHERS[:1] + paper_runs.FIG4_PEERS == tuple(
        m.name for m in classroom.model.mentors)
    runs = {row.label: row.run for row in ROWS if row.table == 'fig4'}
    assert runs['0 teachers, 0 peers'].config.endswith('standalone/mobilenetv2.py')
    assert runs['1 teachers, 5 peers'].config.endswith('classroom_mobilenetv2_vgg13.py')
    assert runs['3 teachers, 2 peers'].mentors == ('vgg13', 'resnet50', 'resnet32x4',
                                                    'resnet8', 'resnet14')


def test_every_run_config_builds(tmp_path):
    """Shipped configs as they are train one iteration in test_configs_all.py. Here every run that
    changes one (--cfg-options, or another mentor list) is read, and one run of each kind of
    change is built (mentor checkpoints off)."""
    runs = {row.run for row in ROWS}
    paper_runs.write_generated_configs(ROWS, str(tmp_path))
    changed = sorted((run for run in runs if run.options or run.mentors is not None),
                     key=lambda run: (-len(run.mentors or ()), run.work_name))
    for run in runs - set(changed):
        assert run.config.startswith('mmpretrain::') or osp.isfile(osp.join(REPO, run.config))
    read_config('mmpretrain::resnet/resnet34_8xb32_in1k.py')
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpretrain')
    built = set()
    for run in changed:
        path = paper_runs.config_path(run, str(tmp_path))
        cfg = load_config(path if osp.isabs(path) else osp.join(REPO, path), list(run.options))
        for mentor in cfg.model.get('mentors', []):
            assert mentor.checkpoint.startswith('work_dirs/'), mentor
            mentor.checkpoint = None
        if run.mentors is not None:
            assert tuple(m.name for m in cfg.model.mentors) == run.mentors
        kind = (run.config, tuple(option.split('=')[0] for option in run.options))
        if kind in built:
            continue
        built.add(kind)
        model = MODELS.build(cfg.model)
        for option in run.options:  # the option reached the built model
            key, value = option.split('=')
            if key.startswith('model.mentoring.'):
                setting = getattr(model.classroom.mentoring, key[len('model.mentoring.'):])
                assert str(setting) in (value, f'{value}.0'), option
            else:
                assert key.startswith('default_hooks.checkpoint.'), option
    assert len(built) == 7


def test_the_reproduction_doc_holds_the_generated_table():
    with open(osp.join(REPO, 'docs', 'reproduction.md')) as f:
        doc = f.read()
    assert paper_runs.markdown(ROWS, paper_runs.DEFAULT_CONFIG_DIR) in doc
