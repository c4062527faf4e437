"""Unpack LSP Extended and convert it for MMPose, idempotently.

    python tools/data/prepare_lsp.py [--archive PATH] [--out data/lspet]

``--archive`` is the project's compact copy (``data/lspet_128.tar.gz``, the default)
or the original
``lspet_dataset.zip``; a folder already holding ``joints.mat`` and
``images/`` is converted in place. The result is ``OUT/images/`` and
``OUT/annotations/lsp_{train,test}.json`` (images 1-9,000 train,
9,001-10,000 test), the layout ``configs/lsp/`` reads.
"""
import argparse
import os
import os.path as osp
import shutil
import sys
import tarfile
import tempfile
import zipfile

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from lsp_to_coco import convert  # noqa: E402

from classroomkd_mm.compat import extract_tar  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEFAULT_ARCHIVE = osp.join(REPO, 'data', 'lspet_128.tar.gz')  # the compact copy, shipped
ANNOTATIONS = ('annotations/lsp_train.json', 'annotations/lsp_test.json')


def find_root(folder: str) -> str:
    """The folder under ``folder`` that holds ``joints.mat``."""
    for current, _, files in os.walk(folder):
        if 'joints.mat' in files:
            return current
    raise FileNotFoundError(f'no joints.mat under {folder}')


def prepare(archive: str = DEFAULT_ARCHIVE, out: str = 'data/lspet') -> str:
    """``out`` with images and COCO-style annotations; skipped when already there."""
    if all(osp.isfile(osp.join(out, a)) for a in ANNOTATIONS):
        return out
    if osp.isdir(archive):
        root = find_root(archive)
    else:
        if not osp.isfile(archive):
            raise FileNotFoundError(
                f'LSP Extended not found at {archive}: download lspet_dataset.zip '
                '(http://sam.johnson.io/research/lspet.html) and pass --archive')
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        unpacked = tempfile.mkdtemp(dir=osp.dirname(osp.abspath(out)))
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as f:
                f.extractall(unpacked)
        else:
            with tarfile.open(archive) as f:
                extract_tar(f, unpacked)
        shutil.rmtree(out, ignore_errors=True)
        shutil.move(find_root(unpacked), out)
        shutil.rmtree(unpacked)
        root = out
    convert(root, osp.join(out, 'annotations'))
    if osp.abspath(root) != osp.abspath(out):  # converted in place: point `out` at it
        os.makedirs(out, exist_ok=True)
        for name in ('images', 'joints.mat'):
            if not osp.exists(osp.join(out, name)):
                os.symlink(osp.abspath(osp.join(root, name)), osp.join(out, name))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--archive', default=DEFAULT_ARCHIVE)
    parser.add_argument('--out', default='data/lspet')
    args = parser.parse_args()
    print(f'LSP Extended ready in {prepare(args.archive, args.out)}')


if __name__ == '__main__':
    main()
