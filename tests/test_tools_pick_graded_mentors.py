"""tools/pick_graded_mentors.py: Table 4's graded mentors from one run's checkpoints and logs."""
import json

import torch

from runner_utils import run_python


def test_pick_graded_mentors_takes_the_nearest_checkpoints(tmp_path):
    run = tmp_path / 'efficientnet_b0'
    (run / '20250101_000000' / 'vis_data').mkdir(parents=True)
    top1 = [10.0, 25.0, 31.0, 39.0, 44.0, 52.0, 60.1, 61.2, 63.5, 67.0, 72.6, 73.3]
    records = []
    for epoch, value in enumerate(top1, start=1):
        records += [dict(lr=0.05, loss=1.0, step=epoch * 100),
                    {'accuracy/top1': value, 'step': epoch}]
        torch.save(dict(state_dict=dict(epoch=torch.tensor(epoch)), meta={}),
                   run / f'epoch_{epoch}.pth')
    (run / '20250101_000000' / 'vis_data' / 'scalars.json').write_text(
        ''.join(json.dumps(r) + '\n' for r in records))
    out = tmp_path / 'graded'
    result = run_python('tools/pick_graded_mentors.py', str(run), '--out', str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    expected = dict(efficientnet_b0_teacher=12, efficientnet_b0_high1=11,
                    efficientnet_b0_high2=10, efficientnet_b0_mid1=9, efficientnet_b0_mid2=8,
                    efficientnet_b0_mid3=7, efficientnet_b0_low1=5, efficientnet_b0_low2=4,
                    efficientnet_b0_low3=3)
    for name, epoch in expected.items():
        saved = torch.load(out / f'{name}.pth', weights_only=True)
        assert saved['state_dict']['epoch'].item() == epoch, name
    empty = run_python('tools/pick_graded_mentors.py', str(tmp_path))
    assert empty.returncode == 2 and 'no validated' in empty.stderr
