"""Does the heatmap confidence floor change who teaches? Measured on LSP Extended.

    python tools/benchmarks/lsp_heatmap_confidence.py [--student CHECKPOINT ...]

Reads the noisy heatmap classroom (configs/lsp/litehrnet-18_classroom_noisy.py: two strong
mentors and a weak one) over the students' 1,000 training images, in the training pipeline's
batches of 32 (seed 0), with the student at its seeded initialisation and at each
``--student`` checkpoint. For every model it reports the share of instances whose heatmap
reads <= 0 at every visible keypoint (confidence 0 before the floor), and for every mentor
how often Knowledge Filtering lets it teach with no floor and with the default floor of 0.01,
and the share of batches in which the two disagree.
"""
import argparse
import os
import os.path as osp
import sys

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
from prepare_lsp import DEFAULT_ARCHIVE, prepare  # noqa: E402

CLASSROOM = 'configs/lsp/litehrnet-18_classroom_noisy.py'


def build(student_checkpoint=None):
    from mmengine.registry import MODELS
    from mmengine.runner import Runner

    from classroomkd_mm.engine import read_config
    cfg = read_config(osp.join(REPO, CLASSROOM))
    cfg.train_dataloader.dataset.indices = 1000
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    torch.manual_seed(0)
    distiller = MODELS.build(cfg.model).eval()
    if student_checkpoint:
        state = torch.load(student_checkpoint, map_location='cpu', weights_only=False)
        distiller.student.load_state_dict(state['state_dict'])
    loader = Runner.build_dataloader(dict(cfg.train_dataloader), seed=0)
    return distiller, loader


@torch.no_grad()
def measure(distiller, loader):
    from classroomkd_mm.core import KnowledgeFilter
    adapter = distiller.adapter
    names = ['student'] + list(distiller.mentors)
    zero = torch.zeros(len(names))
    active = {floor: torch.zeros(len(names) - 1) for floor in (0.0, 0.01)}
    differ = torch.zeros(len(names) - 1)
    instances = batches = 0
    kf = KnowledgeFilter()
    for batch in loader:
        data = distiller.data_preprocessor(batch, training=True)
        inputs, samples = data['inputs'], data['data_samples']
        outputs = [distiller.student(inputs, samples, mode='tensor')]
        outputs += distiller.mentor_outputs(inputs, samples)
        adapter.heatmap_floor = 0.0
        confidence, valid = adapter.confidences(outputs, samples)
        zero += ((confidence == 0) & valid).sum(-1)
        decisions = {}
        for floor in active:
            floored = confidence.clamp_min(floor)
            decisions[floor] = kf(floored, valid, torch.ones(len(names), dtype=torch.bool)).active
            active[floor] += decisions[floor].float()
        differ += (decisions[0.0] != decisions[0.01]).float()
        instances += int(valid.sum())
        batches += 1
    return names, zero / instances, {f: a / batches for f, a in active.items()}, differ / batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--student', nargs='*', default=[],
                        help='student checkpoints (e.g. the benchmark NOKD run\'s epoch_10.pth)')
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    args = parser.parse_args()
    os.chdir(REPO)
    prepare(args.archive)
    import classroomkd_mm  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    for student in [None] + args.student:
        distiller, loader = build(student)
        names, zero, active, differ = measure(distiller, loader)
        print(f"\nstudent: {student or 'seeded initialisation'}")
        print('| model | instances at confidence 0 | teaches, no floor | teaches, floor 0.01 '
              '| batches where the two differ |\n|---|---|---|---|---|')
        print(f'| student | {zero[0]:.3f} | - | - | - |')
        for index, name in enumerate(names[1:]):
            print(f'| {name} | {zero[index + 1]:.3f} | {active[0.0][index]:.3f} | '
                  f'{active[0.01][index]:.3f} | {differ[index]:.3f} |')


if __name__ == '__main__':
    main()
