"""Does the heatmap confidence floor change who teaches? Measured on the noisy heatmap
classroom (two strong mentors and a weak one) over the students' training images.

:func:`measure` reads the classroom in the training pipeline's batches (seed 0) and counts,
for every model, the visible keypoints whose heatmap reads <= 0 (confidence 0 there) and the
instances whose confidence (the mean over their keypoints) is below the adapter's floor; and
for every mentor, how often Knowledge Filtering (batch mode) lets it teach with no floor and
with the floor, and in how many batches the two differ.
"""
from typing import Dict, Optional

import torch

from ..adapters.pose import sample_keypoints
from ..engine.config_files import read_config
from .lsp import CLASSROOMS, STUDENT_IMAGES

CLASSROOM = CLASSROOMS['heatmap']['noisy']


def build(student_checkpoint: Optional[str] = None):
    """The noisy heatmap classroom (its student seeded, or from ``student_checkpoint``) in
    eval mode, and its training loader over the students' images, seed 0."""
    from mmengine.registry import MODELS
    from mmengine.runner import Runner, set_random_seed
    cfg = read_config(CLASSROOM)
    cfg.train_dataloader.dataset.indices = STUDENT_IMAGES
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    set_random_seed(0)  # the student's initialisation and the augmentation
    distiller = MODELS.build(cfg.model).eval()
    if student_checkpoint:
        state = torch.load(student_checkpoint, map_location='cpu', weights_only=False)
        distiller.student.load_state_dict(state['state_dict'])
    return distiller, Runner.build_dataloader(dict(cfg.train_dataloader), seed=0)


def keep_visible(samples, keep: int, generator: torch.Generator) -> None:
    """Emulate sparse annotation (COCO has many people with 1-3 labelled keypoints): keep
    ``keep`` randomly chosen visible keypoints of each instance, weight 0 for the rest."""
    for sample in samples:
        for row in sample.gt_instance_labels.keypoint_weights:
            visible = row.nonzero().flatten()
            row[visible[torch.randperm(len(visible), generator=generator)[keep:]]] = 0


@torch.no_grad()
def measure(distiller, loader, keep: Optional[int] = None) -> Dict:
    """Shares of visible keypoints reading <= 0, of instances below the floor (per model:
    student first), and of batches in which each mentor teaches without and with the floor
    (``active``, by floor) and in which those differ."""
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
        adapter.heatmap_floor = floor
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
