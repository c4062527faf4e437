"""The LSP pose mentors shipped in ``data/lsp_mentors/``: their recipes, their training (through
MMEngine's Runner, each config's own schedule), float16 export, and their README.

The strong mentors train on the full training split (images 1-9,000) for 10 epochs, nine
times what a student sees; the weak ones (for the noisy classrooms) for two epochs on the
students' own 1,000 images. Each is tested with the weights exactly as exported.
"""
import hashlib
import os
import os.path as osp
import re
import shutil
from typing import Dict, List

from ..datasets.lsp import keypoint_names
from ..engine.export import export_float16
from .lsp import STUDENT_IMAGES, Run, evaluate_run, train_and_test_run

WORK = 'work_dirs/lsp_mentors'
SHIPPED = 'data/lsp_mentors'
SIMCC, HEATMAP = 'configs/lsp/rtmpose-t_lsp-64x64.py', 'configs/lsp/litehrnet-18_lsp-64x64.py'
# name: (config, epochs, training images (None: all 9,000)); the same-architecture mentors
# use the students' own configs. The longest first, so that parallel CPU workers finish
# together.
MENTORS = {
    'litehrnet-30': ('configs/lsp/litehrnet-30_lsp-64x64.py', 10, None),
    'litehrnet-18': (HEATMAP, 10, None),
    'rtmpose-s': ('configs/lsp/rtmpose-s_lsp-64x64.py', 10, None),
    'rtmpose-t': (SIMCC, 10, None),
    'litehrnet-18_weak': (HEATMAP, 2, STUDENT_IMAGES),
    'rtmpose-t_weak': (SIMCC, 2, STUDENT_IMAGES),
}


def recipe_options(epochs: int, images) -> dict:
    """The config's schedule shortened or stretched to ``epochs``, seed 0."""
    options = {'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': epochs,
               'param_scheduler.1.end': epochs, 'param_scheduler.1.T_max': epochs,
               'default_hooks.checkpoint.interval': epochs, 'randomness.seed': 0}
    if images is not None:
        options['train_dataloader.dataset.indices'] = images
    return options


def mentor_runs(names) -> List[Run]:
    return [Run(name, config, options=recipe_options(epochs, images))
            for name, (config, epochs, images) in MENTORS.items() if name in names]


def mentor_path(name: str) -> str:
    return osp.join(WORK, f'{name}.pth')


def train_export_and_test(run: Run, work_dir: str, workers: int = 2, progress=None) -> Dict:
    """Train a mentor, export it in float16 with LSP's keypoint names, and test the export."""
    trained = train_and_test_run(run, work_dir, workers, progress)
    last = osp.join(work_dir, f"epoch_{run.options['train_cfg.max_epochs']}.pth")
    export_float16(last, mentor_path(run.name), dict(keypoint_id2name=keypoint_names()))
    exported = evaluate_run(Run(run.name, run.config, options={'load_from': mentor_path(run.name)}),
                            work_dir + '_fp16_test', workers)
    return dict(PCK=exported['PCK'], EPE=exported['EPE'], fp32_PCK=trained['PCK'],
                seconds=trained['seconds'])


def sha256(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def ship(results: Dict[str, Dict]) -> None:
    """Copy the trained mentors into data/lsp_mentors/ with their recipe and checksums."""
    os.makedirs(SHIPPED, exist_ok=True)
    rows = []
    for name, (config, epochs, images) in MENTORS.items():
        if name not in results:
            continue
        path = osp.join(SHIPPED, f'{name}.pth')
        shutil.copyfile(mentor_path(name), path)
        rows.append(f"| `{name}.pth` | `{config}` | {epochs} epochs on "
                    f"{'all 9,000' if images is None else f'the first {images}'} training "
                    f"images, seed 0 | {results[name]['PCK']:.2f} | "
                    f"{results[name]['EPE']:.2f} | {osp.getsize(path) / 1e6:.1f} MB | "
                    f'`{sha256(path)}` |')
    with open(osp.join(SHIPPED, 'README.md'), 'w') as f:
        f.write(README.format(rows='\n'.join(rows)))


def shipped_pck(readme: str = osp.join(SHIPPED, 'README.md')) -> Dict[str, float]:
    """Each shipped mentor's PCK@0.2 on the test split, from its README's table."""
    with open(readme) as f:
        rows = re.findall(r'^\| `([\w.-]+)\.pth` \|[^|]*\|[^|]*\| ([\d.]+) \|', f.read(),
                          re.MULTILINE)
    return {name: float(pck) for name, pck in rows}


README = """# LSP pose mentors

Trained for this project from scratch on LSP Extended (Johnson and Everingham, CVPR 2011;
the compact copy described in `../README.md`) by `python tools/train_lsp_mentors.py --ship`
on a 2-core CPU container (no GPU), and stored in float16 (the few BatchNorm statistics
beyond float16's range stay float32): `{{'state_dict', 'meta': {{'dataset_meta':
{{'keypoint_id2name'}}}}}}`, which the classrooms load as any mentor checkpoint. Inputs
are 64x64 crops (`configs/lsp/`); PCK@0.2 (normalised by the longer side of the person's
box) and EPE (pixels of the original image) are measured on the test split (images
9,001-10,000) with exactly these weights.

| file | config | recipe | PCK@0.2 (%) | EPE (px) | size | SHA-256 |
|---|---|---|---|---|---|---|
{rows}

The strong mentors teach the clean classrooms; the weak ones (two epochs on the students'
1,000 images) join them in the noisy classrooms. The script retrains them all with the
same recipe; CPU training is not bit-for-bit reproducible across
machines, so a retrained mentor matches these in recipe, not in checksum.
"""
