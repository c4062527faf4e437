#!/usr/bin/env bash
# Create .venv/ with the OpenMMLab stack that classroomkd_mm needs, idempotently.
# Every version comes from requirements/constraints.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${CLASSROOMKD_VENV:-$ROOT/.venv}"
PINS="$ROOT/requirements/constraints.txt"
LOG_DIR="$ROOT/work_dirs/setup_logs"
WHEEL_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/classroomkd_mm/wheels"
STAMP="$VENV/.classroomkd_setup_stamp"
mkdir -p "$LOG_DIR" "$WHEEL_CACHE"

step_no=0
step() { step_no=$((step_no + 1)); echo "[setup $step_no] $*"; }
fail() { echo "[setup] FAILED at step $step_no: $*" >&2; exit 1; }
pin() { sed -n "s/^$1==//p" "$PINS"; }
run_logged() {  # run_logged NAME CMD...: quiet on success, log tail on failure
    local log="$LOG_DIR/$1.log"; shift
    if ! "$@" >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        fail "'$*' exited non-zero; full log: $log"
    fi
}

fingerprint() {
    cat "$PINS" "$ROOT/setup.py" "$ROOT/scripts/setup_env.sh" | sha256sum | cut -d' ' -f1
}
SANITY='import mmcv.ops, mmengine, mmpose.models, mmdet.models, mmpretrain.models, xtcocotools.coco, classroomkd_mm'

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(fingerprint)" ] \
        && "$VENV/bin/python" -c "$SANITY" >/dev/null 2>&1; then
    echo "[setup] .venv is up to date (delete $STAMP to force a re-check)."
    exit 0
fi

step "checking the toolchain"
command -v python3.11 >/dev/null || command -v python3 >/dev/null || fail "no python3 on PATH"
PY=$(command -v python3.11 || command -v python3)
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
    || fail "Python 3.11 is required (torch $(pin torch) wheels are cp311)"
command -v g++ >/dev/null || fail "no C++ compiler (g++) on PATH: mmcv's ops must be compiled (apt-get install g++)"

step "creating $VENV"
[ -x "$VENV/bin/python" ] || run_logged venv "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
export PIP_CONSTRAINT="$PINS"   # every install below obeys the pins

step "installing build tools, torch $(pin torch) and torchvision $(pin torchvision)"
run_logged base "${PIP[@]}" install setuptools wheel Cython numpy ninja torch torchvision

MMCV_VERSION=$(pin mmcv)
TORCH_VERSION=$(pin torch)
MMCV_CACHE="$WHEEL_CACHE/torch-$TORCH_VERSION"
if ! "$VENV/bin/python" -c 'import mmcv.ops' >/dev/null 2>&1; then
    if ! ls "$MMCV_CACHE"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1; then
        step "building mmcv $MMCV_VERSION with ops (about 8 minutes on 2 cores; log: $LOG_DIR/mmcv_build.log)"
        SRC=$(mktemp -d)
        run_logged mmcv_download "${PIP[@]}" download --no-deps --no-binary :all: \
            "mmcv==$MMCV_VERSION" -d "$SRC"
        tar -xzf "$SRC"/mmcv-"$MMCV_VERSION".tar.gz -C "$SRC"
        # torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes C++17.
        sed -i 's/-std=c++17/-std=c++20/g' "$SRC/mmcv-$MMCV_VERSION/setup.py"
        mkdir -p "$MMCV_CACHE"
        ( cd "$SRC/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 MAX_JOBS="$(nproc)" \
            run_logged mmcv_build "${PIP[@]}" wheel --no-deps --no-build-isolation -w "$MMCV_CACHE" . )
        rm -rf "$SRC"
    else
        step "reusing the cached mmcv wheel in $MMCV_CACHE"
    fi
    run_logged mmcv_install "${PIP[@]}" install "$MMCV_CACHE"/mmcv-"$MMCV_VERSION"-*.whl
else
    step "mmcv $MMCV_VERSION with ops is already installed"
fi

step "building xtcocotools against the installed numpy (pip's wheel cache serves reruns)"
run_logged xtcocotools "${PIP[@]}" install --no-binary xtcocotools --no-build-isolation xtcocotools

step "installing mmengine, mmdet, mmpretrain and mmpose's runtime dependencies"
run_logged openmmlab "${PIP[@]}" install -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"

step "installing mmpose without its unbuildable chumpy dependency"
run_logged mmpose "${PIP[@]}" install --no-deps mmpose

step "installing classroomkd_mm in editable mode"
run_logged plugin "${PIP[@]}" install --no-deps --no-build-isolation -e "$ROOT"

step "checking that the stack imports"
"$VENV/bin/python" -c "$SANITY" >"$LOG_DIR/sanity.log" 2>&1 \
    || { tail -n 25 "$LOG_DIR/sanity.log" >&2; fail "the stack does not import; log: $LOG_DIR/sanity.log"; }
fingerprint >"$STAMP"
echo "[setup] done: $VENV is ready."
