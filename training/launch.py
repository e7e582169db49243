"""Starts N local processes of a training script with the environment torchrun gives its
workers (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT).

    /usr/bin/python3 training/launch.py --nproc 2 training/train.py --name ddp ...

Use torchrun where it works (GPUs, several machines). Debian 12's torch 1.13 on Python 3.11
has a broken torchrun (its stdio redirect parsing fails before any worker starts), so the
suite and CPU machines use this. A worker that fails stops the others; the exit code is the
first failure's.
"""
import argparse
import os
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nproc", type=int, required=True)
    p.add_argument("--master-port", type=int, default=0)
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER)
    args = p.parse_args()
    port = str(args.master_port or free_port())
    workers = []
    for rank in range(args.nproc):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(args.nproc),
               "LOCAL_WORLD_SIZE": str(args.nproc), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}
        workers.append(subprocess.Popen([sys.executable, args.script, *args.args], env=env))
    code = 0
    while workers:
        for w in list(workers):
            rc = w.poll()
            if rc is None:
                continue
            workers.remove(w)
            if rc != 0 and code == 0:
                code = rc
                for other in workers:
                    other.terminate()
        time.sleep(0.2)
    sys.exit(code)


if __name__ == "__main__":
    main()
