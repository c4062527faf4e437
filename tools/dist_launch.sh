#!/usr/bin/env bash
# Usage: tools/dist_launch.sh NPROC SCRIPT [SCRIPT args...]: run a tools/ script under torchrun.
# Without CUDA the processes run on the CPU over the gloo backend.
set -euo pipefail
NPROC=$1
SCRIPT=$2
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHONPATH="$ROOT:${PYTHONPATH:-}" exec "${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
    --nproc_per_node="$NPROC" "$ROOT/tools/$SCRIPT" "${@:3}" --launcher pytorch
