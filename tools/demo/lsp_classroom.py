"""`make demo-pose`: a pose student alone and with ClassroomKD on LSP Extended, on the CPU.

1. unpack and convert LSP Extended (tools/data/prepare_lsp.py; the compact copy shipped as
   data/lspet_128.tar.gz, or the archive that ``--archive`` or ``$LSP_ARCHIVE`` names);
2. test the two shipped heatmap mentors (data/lsp_mentors/: LiteHRNet-30 and LiteHRNet-18,
   trained on all 9,000 training images);
3. train the LiteHRNet-18 student on the first 1,000 training images for 10 epochs, alone
   (NOKD) and in the classroom (ClassroomKD), side by side on a CPU's two cores;
4. print every model's PCK@0.2 and EPE on the 1,000 test images.

These two runs are seed 0 of the benchmark's heatmap classroom
(tools/benchmarks/lsp_methods.py). Finished stages are recorded in
work_dirs/lsp_demo/results.json and skipped by a rerun.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path[:0] = [osp.join(REPO, 'tools'), osp.join(REPO, 'tools', 'data'),
                osp.join(REPO, 'tools', 'benchmarks')]
from lsp_methods import TRAIN_IMAGES, runs_for  # noqa: E402
from lsp_runs import default_jobs, run_all, test_checkpoint  # noqa: E402
from prepare_lsp import DEFAULT_ARCHIVE, prepare  # noqa: E402

WORK = 'work_dirs/lsp_demo'
RESULTS = osp.join(WORK, 'results.json')
CLASSROOM = 'configs/lsp/litehrnet-18_classroom.py'  # the benchmark's heatmap classroom


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--archive', default=os.environ.get('LSP_ARCHIVE', DEFAULT_ARCHIVE))
    args = parser.parse_args()
    os.chdir(REPO)
    start = time.time()
    prepare(args.archive)
    os.makedirs(WORK, exist_ok=True)
    results = json.load(open(RESULTS)) if osp.isfile(RESULTS) else {}
    from classroomkd_mm.engine import read_config
    mentors = read_config(osp.join(REPO, CLASSROOM)).model.mentors
    for mentor in mentors:
        if mentor.name not in results:
            print(f'[demo, {time.time() - start:.0f} s] testing mentor {mentor.name}',
                  flush=True)
            results[mentor.name] = test_checkpoint(mentor.config, osp.join(WORK, mentor.name),
                                                   mentor.checkpoint)
            with open(RESULTS, 'w') as f:
                json.dump(results, f, indent=2)
    print(f'[demo, {time.time() - start:.0f} s] training the student alone and in the '
          'classroom', flush=True)
    students = runs_for(['heatmap'], ['NOKD', 'ClassroomKD'], [0])
    results.update(run_all(students, RESULTS, WORK, default_jobs(),
                           log=lambda line: print(f'[demo, {time.time() - start:.0f} s] {line}',
                                                  flush=True)))
    print(f'\nLSP Extended, 64x64 crops: students on {TRAIN_IMAGES} training images for 10 '
          f'epochs, mentors on 9000; 1000 test images; {time.time() - start:.0f} s in all')
    print(f"{'model':<26}{'role':<9}{'PCK@0.2 (%)':>12}{'EPE (px)':>10}")
    rows = [(mentor.name, 'mentor', results[mentor.name]) for mentor in mentors]
    rows += [(f'litehrnet-18 {method}', 'student', results[name])
             for (name, _, _), method in zip(students, ('NOKD', 'ClassroomKD'))]
    for name, role, metrics in rows:
        print(f"{name:<26}{role:<9}{metrics['PCK']:>12.2f}{metrics['EPE']:>10.2f}")
    rates = results[students[1][0]]['active']
    print('ClassroomKD activation rates: ' +
          ', '.join(f'{name} {rate:.2f}' for name, rate in rates.items()))


if __name__ == '__main__':
    main()
