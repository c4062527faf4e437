"""A resumable result store: one JSON file, rewritten atomically after every result."""
import json
import os
import os.path as osp
from typing import Any, Iterator


class ResultStore:
    """``{key: value}`` kept in the JSON file ``path``; read back when it already exists, so
    an interrupted script resumes where it stopped.

    ``put`` writes a temporary file next to ``path`` and renames it over ``path``: a kill in
    the middle of a write leaves the previous results, never half a file.
    """

    def __init__(self, path: str):
        self.path = path
        self.data = {}
        if osp.isfile(path):
            with open(path) as f:
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
        self.data[key] = value
        self.save()

    def remove(self, *keys: str) -> None:
        for key in keys:
            self.data.pop(key, None)
        self.save()

    def save(self) -> None:
        os.makedirs(osp.dirname(osp.abspath(self.path)), exist_ok=True)
        partial = f'{self.path}.partial'
        with open(partial, 'w') as f:
            json.dump(self.data, f, indent=1)
        os.replace(partial, self.path)
