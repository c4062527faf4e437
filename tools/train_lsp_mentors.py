"""Train the pose mentors of the LSP classrooms from scratch, test them, export them.

    python tools/train_lsp_mentors.py [--only NAME ...] [--jobs N] [--ship]

Nothing pretrained can be downloaded here, so every mentor is trained on LSP Extended
(tools/data/prepare_lsp.py) by its recipe below: the strong mentors on the full training
split (images 1-9,000) for 10 epochs, nine times what a student sees (1,000 images, 10
epochs); the weak ones (for the noisy classroom) for two epochs on the students' own
1,000-image subset. It runs on CUDA
when there is a GPU, else on the CPU (one single-threaded run per core).

Each mentor is tested on the test split (images 9,001-10,000) with the weights exactly
as exported to ``work_dirs/lsp_mentors/<name>.pth``:
float16, float32 where a value would overflow, as
``{'state_dict', 'meta': {'dataset_meta': {'keypoint_id2name'}}}``.
``--ship`` copies them all into ``data/lsp_mentors/`` (where the classroom configs look)
and writes their README (recipe, PCK, SHA-256). A finished mentor is skipped on the next call.
"""
import argparse
import hashlib
import os
import os.path as osp
import shutil
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), 'data'))
from lsp_runs import REPO, default_jobs, run_all, test_checkpoint, train_and_test  # noqa: E402,E501
from prepare_lsp import DEFAULT_ARCHIVE, prepare  # noqa: E402

WORK = 'work_dirs/lsp_mentors'
RESULTS = osp.join(WORK, 'results.json')
SHIPPED = 'data/lsp_mentors'
STUDENT_IMAGES = 1000  # the students' training subset (tools/benchmarks/lsp_methods.py)
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
    options = {'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': epochs,
               'param_scheduler.1.end': epochs, 'param_scheduler.1.T_max': epochs,
               'default_hooks.checkpoint.interval': epochs, 'randomness.seed': 0}
    if images is not None:
        options['train_dataloader.dataset.indices'] = images
    return options


def mentor_path(name: str) -> str:
    return osp.join(WORK, f'{name}.pth')


def export_fp16(checkpoint: str, out: str, keypoint_names: dict) -> None:
    """The trained weights in float16, with the keypoint names the classroom checks.

    A tensor with values beyond float16's range (BatchNorm running variances reach 1e7
    in LiteHRNet-30's fuse layers) stays in float32.
    """
    import torch
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    state = {k: v.half() if v.is_floating_point() and v.half().isfinite().all() else v
             for k, v in state.items()}
    torch.save(dict(state_dict=state, meta=dict(dataset_meta=dict(
        keypoint_id2name=keypoint_names))), out)


def keypoint_names() -> dict:
    from mmengine.config import Config
    info = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets/lsp.py')).dataset_info
    return {i: info.keypoint_info[i]['name'] for i in range(len(info.keypoint_info))}


def train_export_and_test(config: str, work_dir: str, options: dict, threads: int = 0,
                          workers: int = 2) -> dict:
    """Train, export in float16, and test the exported weights."""
    trained = train_and_test(config, work_dir, options, threads, workers)
    name = osp.basename(work_dir)
    export_fp16(osp.join(work_dir, f"epoch_{options['train_cfg.max_epochs']}.pth"),
                mentor_path(name), keypoint_names())
    exported = test_checkpoint(config, work_dir + '_fp16_test', mentor_path(name), workers)
    return dict(exported, fp32_PCK=trained['PCK'], seconds=trained['seconds'])


def sha256(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def ship(results: dict) -> None:
    """Copy the mentors into data/lsp_mentors/ with their recipe and checksums."""
    os.makedirs(SHIPPED, exist_ok=True)
    rows = []
    for name, (config, epochs, images) in MENTORS.items():
        if name not in results:
            continue
        shutil.copyfile(mentor_path(name), osp.join(SHIPPED, f'{name}.pth'))
        path = osp.join(SHIPPED, f'{name}.pth')
        rows.append(f"| `{name}.pth` | `{config}` | {epochs} epochs on "
                    f"{'all 9,000' if images is None else f'the first {images}'} training "
                    f"images, seed 0 | {results[name]['PCK']:.2f} | "
                    f"{results[name]['EPE']:.2f} | {osp.getsize(path) / 1e6:.1f} MB | "
                    f'`{sha256(path)}` |')
    with open(osp.join(SHIPPED, 'README.md'), 'w') as f:
        f.write(README.format(rows='\n'.join(rows)))


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', nargs='+', choices=list(MENTORS))
    parser.add_argument('--jobs', type=int, default=default_jobs())
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    parser.add_argument('--ship', action='store_true',
                        help='copy the mentors into data/lsp_mentors/ with a README')
    args = parser.parse_args()
    os.chdir(REPO)
    prepare(args.archive)
    os.makedirs(WORK, exist_ok=True)
    runs = [(name, config, recipe_options(epochs, images))
            for name, (config, epochs, images) in MENTORS.items()
            if not args.only or name in args.only]
    results = run_all(runs, RESULTS, WORK, args.jobs, train_export_and_test)
    for name in MENTORS:
        if name in results:
            r = results[name]
            print(f"{name:<20} PCK@0.2 {r['PCK']:6.2f}  EPE {r['EPE']:5.2f}  "
                  f"({r['seconds']:.0f} s)")
    if args.ship:
        ship(results)


if __name__ == '__main__':
    main()
