"""Config files by path, including the ``mmpose::`` / ``mmpretrain::`` files of installed wheels."""
import os.path as osp

from mmengine.config import Config
from mmengine.hub import get_config


def read_config(path: str) -> Config:
    """``Config.fromfile`` that also takes ``package::relative/path.py``."""
    if '::' in path:
        try:
            return get_config(path)
        except (FileNotFoundError, ModuleNotFoundError) as error:
            raise FileNotFoundError(f'config {path!r} does not exist ({error})') from None
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {path!r} does not exist')
    return Config.fromfile(path)
