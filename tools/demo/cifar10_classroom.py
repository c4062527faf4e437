"""`make demo`: a ResNet-8 student alone, with AVER and with ClassroomKD, taught by the shipped
CIFAR-10 mentors, on the CPU (classroomkd_mm.experiments.cifar10_demo).

    python tools/demo/cifar10_classroom.py              # work_dirs/cifar10_demo/
    python tools/demo/cifar10_classroom.py --seed 1     # work_dirs/cifar10_demo_seed1/

One line per stage, then the table; MMEngine's logs, configs and checkpoints go to the work
dir. A rerun skips the finished stages.
"""
import argparse
import os
import os.path as osp
import time
import warnings

# MMEngine imports pkg_resources, which new setuptools deprecates on every start.
warnings.filterwarnings('ignore', 'pkg_resources is deprecated')

from classroomkd_mm.experiments.cifar10_demo import run_demo  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=0, help='the students\' seed')
    args = parser.parse_args()
    start = time.time()
    os.chdir(REPO)
    work = 'work_dirs/cifar10_demo' + (f'_seed{args.seed}' if args.seed else '')
    print(f'CIFAR-10 demo; MMEngine\'s logs, configs and checkpoints go to {work}/')
    table = run_demo(work, args.seed)
    print(f'\n{table}\n\n{time.time() - start:.0f} s in all')


if __name__ == '__main__':
    main()
