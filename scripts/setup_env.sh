#!/usr/bin/env bash
# Create a venv with the OpenMMLab stack that classroomkd_mm needs, idempotently.
#   STACK=newest (default): .venv/, Python 3.11, requirements/constraints.txt, plugin editable
#   STACK=oldest: .venv-oldest/, Python 3.10, requirements/constraints-oldest.txt, and the
#                 plugin installed as a user would (`pip install .`, not editable), every run
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STACK="${STACK:-newest}"
case "$STACK" in
    newest) PY_VERSION=3.11; PINS="$ROOT/requirements/constraints.txt"; DEFAULT_VENV="$ROOT/.venv" ;;
    oldest) PY_VERSION=3.10; PINS="$ROOT/requirements/constraints-oldest.txt"; DEFAULT_VENV="$ROOT/.venv-oldest" ;;
    *) echo "[setup] unknown STACK=$STACK (newest or oldest)" >&2; exit 2 ;;
esac
VENV="${CLASSROOMKD_VENV:-$DEFAULT_VENV}"
LOG_DIR="$ROOT/work_dirs/setup_logs/$STACK"
WHEEL_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/classroomkd_mm/wheels"
STAMP="$VENV/.classroomkd_setup_stamp"
mkdir -p "$LOG_DIR" "$WHEEL_CACHE"

step_no=0
step() { step_no=$((step_no + 1)); echo "[setup $STACK $step_no] $*"; }
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
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

install_plugin() {  # install_plugin [--force-reinstall --no-deps]
    if [ "$STACK" = newest ]; then
        run_logged plugin "${PIP[@]}" install --no-deps --no-build-isolation -e "$ROOT"
    else  # as a user installs into a workspace: `pip install .` (its requirements met by the stack)
        ( cd "$ROOT" && run_logged plugin "${PIP[@]}" install --no-build-isolation "$@" . )
    fi
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(fingerprint)" ] \
        && "$VENV/bin/python" -c "$SANITY" >/dev/null 2>&1; then
    if [ "$STACK" = oldest ]; then
        export PIP_CONSTRAINT="$PINS"
        step "re-installing classroomkd_mm from this checkout (pip install ., not editable)"
        install_plugin --force-reinstall --no-deps
    fi
    echo "[setup] $VENV ($STACK stack) is up to date (delete $STAMP to force a re-check)."
    exit 0
fi

find_python() {  # python$PY_VERSION on PATH, else pyenv's
    local candidate
    for candidate in "$(command -v "python$PY_VERSION" 2>/dev/null)" \
            "$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$PY_VERSION".*/bin/python"$PY_VERSION" 2>/dev/null | sort -V | tail -n 1)" \
            "$(command -v python3 2>/dev/null)"; do
        if [ -n "$candidate" ] && "$candidate" -c "import sys; assert sys.version_info[:2] == (${PY_VERSION/./, })" 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    return 1
}

step "checking the toolchain"
PY=$(find_python) || fail "Python $PY_VERSION is required for the $STACK stack (torch $(pin torch) wheels; pyenv install $PY_VERSION)"
command -v g++ >/dev/null || fail "no C++ compiler (g++) on PATH: mmcv's ops must be compiled (apt-get install g++)"

step "creating $VENV"
[ -x "$VENV/bin/python" ] || run_logged venv "$PY" -m venv "$VENV"
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
        # torch >= 2.10 headers need C++20; mmcv 2.1.0 hard-codes C++17 (enough for torch 2.1).
        [ "$STACK" = newest ] && sed -i 's/-std=c++17/-std=c++20/g' "$SRC/mmcv-$MMCV_VERSION/setup.py"
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

step "installing classroomkd_mm ($([ "$STACK" = newest ] && echo 'editable' || echo 'pip install ., not editable'))"
install_plugin

step "checking that the stack imports"
"$VENV/bin/python" -c "$SANITY" >"$LOG_DIR/sanity.log" 2>&1 \
    || { tail -n 25 "$LOG_DIR/sanity.log" >&2; fail "the stack does not import; log: $LOG_DIR/sanity.log"; }
fingerprint >"$STAMP"
echo "[setup] done: $VENV ($STACK stack) is ready."
