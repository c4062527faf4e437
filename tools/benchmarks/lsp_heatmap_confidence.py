"""Does the heatmap confidence floor change who teaches? Measured on LSP Extended.

    python tools/benchmarks/lsp_heatmap_confidence.py [--student CHECKPOINT ...]

Reads the noisy heatmap classroom (configs/lsp/litehrnet-18_classroom_noisy.py: two strong
mentors and a weak one) over the students' 1,000 training images, in the training pipeline's
batches of 32 (seed 0), with the student at its seeded initialisation and at each
``--student`` checkpoint. For every model it reports the share of visible keypoints whose
heatmap reads <= 0 (confidence 0 there), the share of instances whose confidence (the mean
over the keypoints) is below the default floor of 0.01, and for every mentor how often
Knowledge Filtering (batch mode) lets it teach with no floor and with the floor, and the
share of batches in which the two disagree.
"""
import argparse
import os
import os.path as osp
import sys

import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'data'))
from lsp_methods import TRAIN_IMAGES  # noqa: E402
from prepare_lsp import DEFAULT_ARCHIVE, prepare  # noqa: E402

CLASSROOM = 'configs/lsp/litehrnet-18_classroom_noisy.py'


def build(student_checkpoint=None):
    from mmengine.registry import MODELS
    from mmengine.runner import Runner, set_random_seed

    from classroomkd_mm.engine import read_config
    cfg = read_config(osp.join(REPO, CLASSROOM))
    cfg.train_dataloader.dataset.indices = TRAIN_IMAGES
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    set_random_seed(0)  # the student's initialisation and the augmentation
    distiller = MODELS.build(cfg.model).eval()
    if student_checkpoint:
        state = torch.load(student_checkpoint, map_location='cpu', weights_only=False)
        distiller.student.load_state_dict(state['state_dict'])
    loader = Runner.build_dataloader(dict(cfg.train_dataloader), seed=0)
    return distiller, loader


def keep_visible(samples, keep: int, generator) -> None:
    """Emulate sparse annotation (COCO has many people with 1-3 labelled keypoints): keep
    ``keep`` randomly chosen visible keypoints of each instance, weight 0 for the rest."""
    for sample in samples:
        weights = sample.gt_instance_labels.keypoint_weights
        for row in weights:
            visible = row.nonzero().flatten()
            drop = visible[torch.randperm(len(visible), generator=generator)[keep:]]
            row[drop] = 0


@torch.no_grad()
def measure(distiller, loader, keep=None):
    """Shares of visible keypoints reading <= 0, of instances below the floor, and of batches
    in which each mentor teaches without and with the floor (and in which those differ)."""
    from classroomkd_mm.adapters.pose import sample_keypoints
    adapter, kf = distiller.adapter, distiller.classroom.kf
    floor = adapter.heatmap_floor  # the classroom's own, compared with none
    count = len(distiller.mentors) + 1
    nonpositive, below_floor = torch.zeros(count), torch.zeros(count)
    active = {bound: torch.zeros(count - 1) for bound in (0.0, floor)}
    differ = torch.zeros(count - 1)
    keypoints = instances = batches = 0
    generator = torch.Generator().manual_seed(0)
    for batch in loader:
        data = distiller.data_preprocessor(batch, training=True)
        inputs, samples = data['inputs'], data['data_samples']
        if keep:
            keep_visible(samples, keep, generator)
        outputs = [distiller.student(inputs, samples, mode='tensor')]
        outputs += distiller.mentor_outputs(inputs, samples)
        visible = adapter.keypoint_weights(samples) > 0
        location = adapter.gt_locations(outputs[0], samples)
        raw = torch.stack([sample_keypoints(o, location) for o in outputs])
        nonpositive += ((raw <= 0) & visible).flatten(1).sum(-1)
        adapter.heatmap_floor = 0.0
        confidence, valid = adapter.confidences(outputs, samples)
        below_floor += ((confidence < floor) & valid).sum(-1)
        decisions = {bound: kf(confidence.clamp_min(bound), valid,
                               torch.ones(count, dtype=torch.bool)).active.any(-1)
                     for bound in active}  # batch mode: one decision per mentor
        for bound, decision in decisions.items():
            active[bound] += decision.float()
        differ += (decisions[0.0] != decisions[floor]).float()
        keypoints += int(visible.sum())
        instances += int(valid.sum())
        batches += 1
    return dict(floor=floor, nonpositive=nonpositive / keypoints,
                below_floor=below_floor / instances,
                active={f: a / batches for f, a in active.items()}, differ=differ / batches)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--student', nargs='*', default=[],
                        help='student checkpoints (e.g. the benchmark NOKD run\'s epoch_10.pth)')
    parser.add_argument('--keep-visible', type=int, nargs='*', default=[],
                        help='also measure with only K visible keypoints kept per instance')
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    args = parser.parse_args()
    os.chdir(REPO)
    prepare(args.archive)
    import classroomkd_mm  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    for student in [None] + args.student:
        for keep in [None] + args.keep_visible:
            distiller, loader = build(student)
            report(measure(distiller, loader, keep), ['student'] + list(distiller.mentors),
                   f"student: {student or 'seeded initialisation'}; visible keypoints per "
                   f"instance: {keep or 'all'}")


def report(stats, names, title) -> None:
    print(f'\n{title}')
    floor = stats['floor']
    print(f'| model | visible keypoints reading <= 0 | instances below {floor} | teaches, no '
          f'floor | teaches, floor {floor} | batches where the two differ |')
    print('|---|---|---|---|---|---|')
    for index, name in enumerate(names):
        cells = [f"{stats['nonpositive'][index]:.3f}", f"{stats['below_floor'][index]:.3f}"]
        if index:
            cells += [f"{stats['active'][f][index - 1]:.3f}" for f in (0.0, floor)]
            cells.append(f"{stats['differ'][index - 1]:.3f}")
        else:
            cells += ['-'] * 3
        print(f'| {name} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
