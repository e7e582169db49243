"""A checkpoint (the form export.py and evaluate.py read) from the .npz that scripts/device-train.sh
brings back from a GPU machine: EMA weights as arrays, the run's config and state as JSON.

    /usr/bin/python3 training/npz_checkpoint.py RUN.npz training/runs/NAME/ckpt.pt
"""
import json
import os
import sys

import numpy as np
import torch


def main(src, dst):
    data = np.load(src)
    weights = {k: torch.from_numpy(np.array(data[k])) for k in data.files if not k.startswith("__")}
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    torch.save(dict(ema=weights, model=weights, config=json.loads(str(data["__config__"])),
                    state=json.loads(str(data["__state__"]))), dst)
    print(f"{dst}: {sum(v.numel() for v in weights.values())} parameters")


if __name__ == "__main__":
    main(*sys.argv[1:3])
