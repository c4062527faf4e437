#!/usr/bin/env bash
# Here, before a device call of tools/gpu_check.sh: fill the git-ignored .gpu_carry/ with
# the cp312 wheels the device's image lacks (pinned by requirements/constraints.txt), the
# sdists of mmcv and xtcocotools (built there: see tools/gpu_check.sh) and images 1-2000 of
# LSP Extended, then report what the call would carry against its 64 MiB limit.
#
#   bash tools/gpu_check_prepare.sh              # fill and report (exit 3 when over 64 MiB)
#   bash tools/gpu_check_prepare.sh --slim       # also remove, from the working tree only,
#                                                # the tracked data the check does not read
#   bash tools/gpu_check_prepare.sh --restore    # after the call: git checkout those files
#   bash tools/gpu_check_prepare.sh --size-only  # report only
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=python3
exec "$PYTHON" tools/gpu_check.py --prepare "$@"
