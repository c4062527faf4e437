"""A resumable result store: one JSON file, rewritten atomically after every result."""
import json
import os
import os.path as osp
from contextlib import contextmanager
from typing import Any, Iterator

from filelock import FileLock


class ResultStore:
    """``{key: value}`` kept in the JSON file ``path``; read back when it already exists, so
    an interrupted script resumes where it stopped.

    A write goes to a temporary file next to ``path``, renamed over ``path``: a kill in the
    middle of a write leaves the previous results, never half a file. ``put``, ``add`` and
    ``remove`` change the file as it is when they run, under a file lock, and read it back
    whole: several processes can share a store.
    """

    def __init__(self, path: str):
        self.path = path
        self.data = {}
        self.read()

    def read(self) -> None:
        """Read the file back (if there is one yet): what other processes recorded too."""
        if osp.isfile(self.path):
            with open(self.path) as f:
                self.data = json.load(f)

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def put(self, key: str, value: Any) -> None:
        with self.updating():
            self.data[key] = value

    def add(self, entry: str, key: str, value: Any) -> None:
        """``self[entry][key] = value``."""
        with self.updating():
            self.data.setdefault(entry, {})[key] = value

    def remove(self, *keys: str) -> None:
        with self.updating():
            for key in keys:
                self.data.pop(key, None)

    @contextmanager
    def updating(self) -> Iterator[None]:
        """Under the file's lock: read the file back (other processes' results kept), let the
        block change ``data``, save it."""
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        with FileLock(f'{self.path}.lock'):
            self.read()
            yield
            self.save()

    def save(self) -> None:
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        partial = f'{self.path}.partial'
        with open(partial, 'w') as f:
            json.dump(self.data, f, indent=1)
        os.replace(partial, self.path)
