#!/usr/bin/env bash
# The CUDA check of classroomkd_mm in one run on the device machine (issue 22): install,
# the CUDA-only tests, the step benchmark with its CUDA-graph rows and targets, and both LSP
# pose classrooms (plain, --amp, fast path + CUDA graphs, dist_train.sh over NCCL), within
# 470 s. The figures land in $OUT (else --out, else work_dirs/gpu_check/out) as
# gpu_check.json and gpu_check.md (markdown rows for docs/results.md), with gpu_check.log.
# The stages live in tools/gpu_check.py; docs/results.md ("CUDA check: how to run it") has
# the device call.
#
#   bash tools/gpu_check_prepare.sh --slim    # here: fill .gpu_carry/, fit the 64 MiB carry
#   bash tools/gpu_check.sh                   # there, from the repository root
#   bash tools/gpu_check.sh --dry-run         # here: the same stages on the CPU, tiny
#
# Install: mmcv (ops, CPU only) and xtcocotools are BUILT ON THE DEVICE from carried sdists
# (timed in the output), not built here as cp312 wheels. Why:
# - mmcv's ops must be compiled against the exact torch that imports them: the device's
#   torch 2.11.0+cu130 on Python 3.12. Here that means a Python 3.12 environment with
#   torch 2.11 from PyPI, whose import needs its ~3 GB of CUDA wheels, then mmcv's ops
#   compiled on 2 shared cores (about 8 minutes alone, more beside other work), redone by
#   every session that prepares a device call, and still not built against the torch build
#   that runs it. Such a wheel is also big: the one `make setup` builds here is 31 MiB, half
#   of what a device call may carry.
# - There, the same ops build with 16 jobs (CUDA_VISIBLE_DEVICES='' and FORCE_CUDA=0, so
#   no CUDA kernels are compiled) takes about a minute of the 15, and xtcocotools builds
#   beside it against the device's own numpy. The carry stays small (two sdists, < 1 MiB).
# A cp312 mmcv wheel put in .gpu_carry/wheels/ is installed instead of the build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python3
    # here, the dry run uses the project's environment (make setup)
    if [[ " $* " == *" --dry-run "* ]] && [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; fi
fi
export PYTHONUNBUFFERED=1
exec "$PYTHON" tools/gpu_check.py "$@"
