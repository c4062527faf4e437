"""experiments.scalars: MMEngine's vis_data/scalars.json."""
import json

from classroomkd_mm.experiments import scalars


def write_run(work_dir, timestamp, records):
    folder = work_dir / timestamp / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(''.join(json.dumps(r) + '\n' for r in records))
    return str(folder / 'scalars.json')


def test_series_by_prefix_from_the_newest_run(tmp_path):
    assert scalars.newest_scalars_file(str(tmp_path)) is None
    old = write_run(tmp_path, '20250101_000000', [{'loss': 9.0, 'step': 1}])
    new = write_run(tmp_path, '20250102_000000', [
        {'loss': 2.0, 'rank/teacher': 1.5, 'temp/teacher': 4.0, 'step': 1},
        {'loss': 1.0, 'rank/teacher': 0.5, 'step': 2},
        {'accuracy/top1': 40.0, 'step': 1}])
    assert scalars.scalars_files(str(tmp_path)) == [old, new]
    assert scalars.newest_scalars_file(str(tmp_path)) == new
    records = scalars.read_records(new)
    assert scalars.series(records, ('rank/', 'temp/')) == {
        'rank/teacher': ([1, 2], [1.5, 0.5]), 'temp/teacher': ([1], [4.0])}
    assert scalars.series(records, ('accuracy/top1',)) == {'accuracy/top1': ([1], [40.0])}


def test_a_real_runs_scalars_hold_every_training_step(experiment_run):
    work_dir, _ = experiment_run
    [path] = scalars.scalars_files(work_dir)
    ranks = scalars.series(scalars.read_records(path), ('rank/',))
    assert sorted(ranks) == ['rank/mobilenetv2', 'rank/resnet14', 'rank/resnet20',
                             'rank/student']
    assert all(steps == [1, 2, 3, 4] for steps, _ in ranks.values())
