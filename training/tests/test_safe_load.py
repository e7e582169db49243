"""The checkpoint reader never executes a pickle: only tensors, ordered dicts, argparse.Namespace and primitives."""
import argparse
import collections
import os
import zipfile

import pytest
import torch

from eqm_import.safe_load import LazyTensor, UnsafeCheckpointError, load_checkpoint


class RunsACommand:
    """Pickles as a call to os.system, which an unsafe loader (plain torch.load) executes."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def test_a_checkpoint_whose_pickle_runs_a_command_is_refused_and_the_command_does_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"model": {"w": torch.ones(2)}, "args": RunsACommand(f"touch {marker}")}, path)
    with pytest.raises(UnsafeCheckpointError, match=r"posix\.system|os\.system"):
        load_checkpoint(path)
    assert not marker.exists()
    # the payload is live: an unsafe load of the same file runs it (so the check above means something)
    torch.load(path)
    assert marker.exists()


def test_other_globals_are_refused_by_name(tmp_path):
    path = tmp_path / "np.pt"
    torch.save({"ema": {"w": torch.ones(2)}, "extra": collections.Counter("ab")}, path)
    with pytest.raises(UnsafeCheckpointError, match="collections.Counter"):
        load_checkpoint(path)


def test_a_training_checkpoint_loads_lazily_with_its_args(tmp_path):
    path = tmp_path / "ok.pt"
    w = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd = collections.OrderedDict(a=w, b=w.t(), c=torch.nn.Parameter(torch.ones(3)), h=torch.ones(2, dtype=torch.float16))
    args = argparse.Namespace(model="EqM-B/2", ebm="none", uncond=True, lr=1e-4, layers=[1, 2], pair=(1, None))
    torch.save({"model": sd, "ema": sd, "opt": {"state": {0: {"step": 3, "exp_avg": w}}, "param_groups": [{"lr": 1e-4}]},
                "args": args}, path)
    tree = load_checkpoint(path)
    assert isinstance(tree["ema"]["a"], LazyTensor) and tree["ema"]["a"].shape == (3, 4)
    assert torch.equal(tree["ema"]["a"].load(), w)
    assert torch.equal(tree["ema"]["b"].load(), w.t())  # a strided view of a shared storage
    assert torch.equal(tree["ema"]["c"].load(), torch.ones(3))
    assert tree["ema"]["h"].load().dtype == torch.float16
    assert vars(tree["args"])["model"] == "EqM-B/2" and tree["args"].layers == [1, 2]


def test_non_checkpoints_get_a_clear_error(tmp_path):
    legacy = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(1)}, legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError, match="legacy pre-1.6 format"):
        load_checkpoint(legacy)
    junk = tmp_path / "junk.zip"
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("readme.txt", "hi")
    with pytest.raises(UnsafeCheckpointError, match="data.pkl"):
        load_checkpoint(junk)


def test_a_plain_pickle_inside_the_zip_cannot_reach_builtins(tmp_path):
    path = tmp_path / "eval.pt"
    # a hand-made archive whose data.pkl calls builtins.eval through REDUCE
    evil = b"\x80\x02cbuiltins\neval\nX\x03\x00\x00\x001+1\x85R."
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", evil)
    with pytest.raises(UnsafeCheckpointError, match="builtins.eval"):
        load_checkpoint(path)
