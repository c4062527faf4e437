"""Every weight file a config needs, and where training will look for it.

    python tools/list_urls.py CONFIG [--cfg-options k=v ...] [--fetch]

Lists mentor checkpoints, ``Pretrained`` ``init_cfg`` checkpoints anywhere in the
trained model (the student's backbone, e.g. CSPNeXt-t for RTMPose-t) and
``load_from``. A URL is cached by torch hub and MMEngine alike at
``$TORCH_HOME/hub/checkpoints/<file name of the URL>``: run this on a machine with
internet and ``--fetch`` (with the ``TORCH_HOME`` the compute nodes will use, or copy
the files there), and offline nodes find every file in place. Mentors' own
``init_cfg`` is not listed: mentors load their checkpoint and are never initialised.
"""
import argparse
import os
import os.path as osp
import sys

import torch

from classroomkd_mm.checkpoint import hub_cache_path, is_url
from classroomkd_mm.engine.launch import load_config, run_tool


def pretrained_checkpoints(node, path: str):
    """``(config path, checkpoint)`` of every ``init_cfg=dict(type='Pretrained')`` in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'init_cfg':
                for init in value if isinstance(value, (list, tuple)) else [value]:
                    if isinstance(init, dict) and init.get('type') == 'Pretrained':
                        yield f'{path}.init_cfg', init['checkpoint']
            else:
                yield from pretrained_checkpoints(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from pretrained_checkpoints(value, f'{path}.{index}')


def needed_files(cfg):
    """``(what, source)`` for every file training ``cfg`` reads weights from."""
    model = cfg.model
    for mentor in model.get('mentors', []) if model.get('type') == 'ClassroomKDDistiller' else []:
        if mentor.get('checkpoint'):
            yield f"mentor '{mentor['name']}'", mentor['checkpoint']
    trained = {key: value for key, value in model.items() if key != 'mentors'}
    yield from pretrained_checkpoints(trained, 'model')
    if cfg.get('load_from'):
        yield 'load_from', cfg.load_from


def destination(source: str) -> str:
    if is_url(source):
        return hub_cache_path(source)
    return source if '://' not in source else ''  # other schemes: resolved by MMEngine


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('--cfg-options', nargs='+', metavar='KEY=VALUE')
    parser.add_argument('--fetch', action='store_true',
                        help='download every missing URL into its cache destination')
    args = parser.parse_args()
    cfg = load_config(args.config, args.cfg_options)
    failed = False
    for what, source in needed_files(cfg):
        target = destination(source)
        if args.fetch and is_url(source) and not osp.isfile(target):
            try:
                os.makedirs(osp.dirname(target), exist_ok=True)
                torch.hub.download_url_to_file(source, target, progress=False)
            except Exception as error:  # no network, HTTP error...
                print(f'could not fetch {source}: {error}', file=sys.stderr)
                failed = True
        status = 'present' if target and osp.isfile(target) else 'missing'
        if is_url(source):
            print(f'{status:8}{what}: {source} -> {target}')
        else:
            print(f'{status:8}{what}: {source}' + ('' if target else ' (resolved by MMEngine)'))
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    run_tool(main)
