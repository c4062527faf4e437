"""tools/benchmarks/lsp_methods.py --report-only: the one command that regenerates the LSP
block of docs/results.md from the recorded runs, training nothing."""
import json
import sys

from runner_utils import REPO, load_tool


def test_report_only_rewrites_the_block_from_the_recorded_runs(tmp_path, monkeypatch, capsys):
    work, docs = tmp_path / 'work', tmp_path / 'docs'
    work.mkdir()
    docs.mkdir()
    (work / 'results.json').write_text(json.dumps({
        'simcc/nokd/seed0': dict(PCK=40.0, EPE=30.0),
        'simcc/classroomkd/seed0': dict(PCK=41.0, EPE=29.5, active={'rtmpose-s': 1.0})}))
    (docs / 'results.md').write_text('<!-- lsp_methods report: start -->\n'
                                     '<!-- lsp_methods report: end -->\n')
    tool = load_tool('tools/benchmarks/lsp_methods.py')
    monkeypatch.chdir(REPO)  # the tool works from the checkout; restored after the test
    monkeypatch.setattr(sys, 'argv', ['lsp_methods.py', '--report-only', '--seeds', '0',
                                      '--work-dir', str(work), '--docs', str(docs)])
    tool.main()
    page = (docs / 'results.md').read_text()
    assert '| ClassroomKD | 41.00 ± 0.00 | 41.00 | +1.00 (mean +1.00; 1/1 better) |' in page
    assert 'Mentors alone (PCK@0.2 %, test split): rtmpose-s 64.40' in page  # shipped README
    assert '#### RTMPose-t student, SimCC classroom' in capsys.readouterr().out
    assert (docs / 'lsp_methods.png').stat().st_size > 0
