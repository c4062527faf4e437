"""`make demo-pose`: a LiteHRNet-18 student alone and with ClassroomKD on LSP Extended, taught
by the shipped pose mentors, on the CPU (classroomkd_mm.experiments.lsp_demo).

    python tools/demo/lsp_classroom.py              # work_dirs/lsp_demo/
    python tools/demo/lsp_classroom.py --seed 1     # work_dirs/lsp_demo_seed1/

``--archive`` (or ``$LSP_ARCHIVE``) names another copy of LSP Extended than the shipped
``data/lspet_128.tar.gz``. One line per stage, then the table; MMEngine's logs and configs go
to the work dir. A rerun skips the finished stages.
"""
import argparse
import os
import os.path as osp
import time
import warnings

# MMEngine imports pkg_resources, which new setuptools deprecates on every start.
warnings.filterwarnings('ignore', 'pkg_resources is deprecated')

from classroomkd_mm.experiments.lsp import DEFAULT_ARCHIVE  # noqa: E402
from classroomkd_mm.experiments.lsp_demo import run_demo  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--archive', default=os.environ.get('LSP_ARCHIVE', DEFAULT_ARCHIVE))
    parser.add_argument('--seed', type=int, default=0, help='the students\' seed')
    args = parser.parse_args()
    start = time.time()
    os.chdir(REPO)
    work = 'work_dirs/lsp_demo' + (f'_seed{args.seed}' if args.seed else '')
    print(f'LSP pose demo; MMEngine\'s logs and configs go to {work}/')
    table = run_demo(work, args.archive, args.seed)
    print(f'\n{table}\n\n{time.time() - start:.0f} s in all')


if __name__ == '__main__':
    main()
