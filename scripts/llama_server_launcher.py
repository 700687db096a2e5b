#!/usr/bin/env python3
"""Run llama.cpp's HTTP server in-process through the `xllamacpp` wheel.

Used by scripts/local-model.sh when no `llama-server` binary is at hand. It
takes the subset of `llama-server` flags that script passes, builds an
`xllamacpp.CommonParams`, starts `xllamacpp.Server` (which serves the same
routes and JSON as `llama-server`) and then waits until it is told to stop
(SIGTERM, SIGINT or SIGHUP), when it exits.
"""

import argparse
import os
import signal
import sys
import threading

POOLING = {
    "none": "LLAMA_POOLING_TYPE_NONE",
    "mean": "LLAMA_POOLING_TYPE_MEAN",
    "cls": "LLAMA_POOLING_TYPE_CLS",
    "last": "LLAMA_POOLING_TYPE_LAST",
    "rank": "LLAMA_POOLING_TYPE_RANK",
}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-m", "--model", required=True, help="path to a .gguf file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("-c", "--ctx-size", type=int, default=2048)
    p.add_argument("-np", "--parallel", type=int, default=1)
    p.add_argument("-t", "--threads", type=int, default=1)
    p.add_argument("-tb", "--threads-batch", type=int, default=1)
    p.add_argument("--alias", default=None)
    p.add_argument("--embeddings", action="store_true")
    p.add_argument("--pooling", choices=sorted(POOLING), default=None)
    p.add_argument("--api-key", default=os.environ.get("LLAMA_API_KEY"))
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    if not os.path.isfile(args.model):
        print(f"launcher: model file not found: {args.model}", file=sys.stderr)
        return 2

    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = args.model
    params.hostnames = [args.host]
    params.port = args.port
    params.n_ctx = args.ctx_size
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads_batch
    if args.alias:
        params.model_alias = {args.alias}
    if args.embeddings:
        params.embedding = True
    if args.pooling:
        params.pooling_type = getattr(xlc.llama_pooling_type, POOLING[args.pooling])
    if args.api_key:
        params.api_keys = [args.api_key]
    params.ui = False  # the wheel has no web UI assets anyway

    stop = threading.Event()

    def on_signal(signum, _frame):
        print(f"launcher: got signal {signum}, exiting", file=sys.stderr, flush=True)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    print(f"launcher: xllamacpp {xlc.__version__}, starting server for {args.model}",
          file=sys.stderr, flush=True)
    server = xlc.Server(params)  # returns once the HTTP server is listening
    print(f"launcher: listening at {server.listening_address}", file=sys.stderr, flush=True)

    while not stop.wait(1.0):
        pass

    # Tearing the C++ server down through its destructor can block on worker
    # threads; the process is exiting anyway, so leave without running it.
    sys.stderr.flush()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
