"""MMEngine's ``<work_dir>/<timestamp>/vis_data/scalars.json``: one JSON record per line."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple


def scalars_files(work_dir: str) -> List[str]:
    """Every run's ``scalars.json`` under ``work_dir``, oldest first."""
    return sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))


def newest_scalars_file(work_dir: str) -> Optional[str]:
    """The newest run's ``scalars.json`` under ``work_dir``; None when there is none."""
    files = scalars_files(work_dir)
    return files[-1] if files else None


def read_records(path: str) -> List[dict]:
    """The records of one ``scalars.json``, in the order they were logged."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def series(records: List[dict], prefixes: Tuple[str, ...]) -> Dict[str, Tuple[list, list]]:
    """``{key: ([step, ...], [value, ...])}`` of every key that starts with one of
    ``prefixes``, in logged order."""
    found = {}
    for record in records:
        for key, value in record.items():
            if key.startswith(prefixes):
                steps, values = found.setdefault(key, ([], []))
                steps.append(record['step'])
                values.append(value)
    return found

