"""eqm import: parity of the exported ONNX (through onnxruntime-node) with the reference implementation's outputs
on tiny checkpoints it wrote (test/fixtures/eqm-import), config inference and its refusals."""
import json
import os

import pytest
import torch

from eqm_import.checkpoint import CheckpointError, read_checkpoint
from eqm_import.import_model import import_model
from eqm_import.sit import EqMNet
from test_training import REPO, node_parity

FIXTURES = os.path.join(REPO, "test", "fixtures", "eqm-import")
TOLERANCE = 2e-5


def case(name):
    with open(os.path.join(FIXTURES, f"{name}.json")) as f:
        return json.load(f)


def ckpt(name):
    return os.path.join(FIXTURES, f"{name}.pt")


def replay(tmp_path, onnx_path, c, output, values):
    fixture = tmp_path / f"{output}-{os.path.basename(onnx_path)}.json"
    fixture.write_text(json.dumps({"onnx": str(onnx_path), "shape": c["shape"], "x": c["x"], "y": c["y"],
                                   "output": output, output: values}))
    return node_parity(fixture)


@pytest.mark.parametrize("name,flags", [("tiny-train-sigma", {"heads": 4}),
                                        ("tiny-bare-nosigma", {"heads": 4, "ebm": "none"})])
def test_gradient_onnx_matches_the_reference(tmp_path, name, flags):
    c = case(name)
    result = import_model(ckpt(name), out_dir=str(tmp_path / "model"), **flags)
    report = replay(tmp_path, tmp_path / "model" / "gradient.onnx", c, "grad", c["grad"])
    print(f"{name}: onnxruntime-node max abs diff {report['maxAbsDiff']:.2e} (max |ref| {report['maxAbsRef']:.2f})")
    assert report["inputs"] == ["x", "y"] and report["outputs"] == ["grad"] and report["dims"] == c["shape"]
    assert report["maxAbsRef"] > 0.5, "the reference output must be far from 0 for the check to mean anything"
    assert report["maxAbsDiff"] < TOLERANCE
    manifest = json.load(open(tmp_path / "model" / "manifest.json"))
    assert manifest["files"] == {"gradient": "gradient.onnx"} and manifest["space"] == "latent"
    assert manifest["shape"] == [4, 8, 8] and manifest["nullClass"] == 10 and len(manifest["classes"]) == 10
    assert result["weights"] == ("ema" if name == "tiny-train-sigma" else "state_dict")


def test_a_flipped_sign_or_wrong_heads_fails_parity(tmp_path):
    c = case("tiny-train-sigma")
    import_model(ckpt("tiny-train-sigma"), out_dir=str(tmp_path / "heads2"), heads=2)
    wrong_heads = replay(tmp_path, tmp_path / "heads2" / "gradient.onnx", c, "grad", c["grad"])
    assert wrong_heads["maxAbsDiff"] > 100 * TOLERANCE
    import_model(ckpt("tiny-train-sigma"), out_dir=str(tmp_path / "right"), heads=4)
    flipped = replay(tmp_path, tmp_path / "right" / "gradient.onnx", c, "grad", [-v for v in c["grad"]])
    assert flipped["maxAbsDiff"] > 100 * TOLERANCE


def test_the_training_checkpoint_uses_ema_not_model_weights():
    config, weights, part, args = read_checkpoint(ckpt("tiny-train-sigma"), heads=4)
    assert part == "ema" and args["model"] == "EqM-tiny/2" and config["learn_sigma"] and config["depth"] == 2
    c = case("tiny-train-sigma")
    x, y = torch.tensor(c["x"]).reshape(c["shape"]), torch.tensor(c["y"])
    assert torch.allclose(-EqMNet(config, weights).head(x, y).reshape(-1), torch.tensor(c["grad"]), atol=1e-6)


@pytest.mark.parametrize("prefix", ["module.", "_orig_mod.", "module._orig_mod."])
def test_weights_saved_through_a_training_wrapper_import_as_the_bare_model(tmp_path, prefix):
    # a state dict saved from a DistributedDataParallel or torch.compile wrapper names every tensor with its prefix
    source = torch.load(ckpt("tiny-train-sigma"))
    wrapped = dict(source, ema={prefix + k: v for k, v in source["ema"].items()})
    torch.save(wrapped, tmp_path / "wrapped.pt")
    config, weights, part, _ = read_checkpoint(str(tmp_path / "wrapped.pt"), heads=4)
    bare_config, bare_weights, _, _ = read_checkpoint(ckpt("tiny-train-sigma"), heads=4)
    assert part == "ema" and config == bare_config and weights.keys() == bare_weights.keys()
    assert all(torch.equal(weights[k], bare_weights[k]) for k in weights)


def test_training_args_saved_as_a_plain_dict_say_as_much_as_a_namespace(tmp_path):
    # a checkpoint re-saved by other code may hold vars(args) instead of argparse's Namespace
    source = torch.load(ckpt("tiny-train-sigma"))
    torch.save(dict(source, args=vars(source["args"])), tmp_path / "dict-args.pt")
    config, _, part, args = read_checkpoint(str(tmp_path / "dict-args.pt"), heads=4)
    expected_config, _, _, expected_args = read_checkpoint(ckpt("tiny-train-sigma"), heads=4)
    assert part == "ema" and config == expected_config and args == expected_args
    # the energy variant came from the dict: without it, the importer asks for --ebm
    torch.save(dict(source, args={k: v for k, v in vars(source["args"]).items() if k != "ebm"}), tmp_path / "no-ebm.pt")
    with pytest.raises(CheckpointError, match="no args.ebm"):
        read_checkpoint(str(tmp_path / "no-ebm.pt"), heads=4)


def test_weights_as_safetensors_import_like_the_checkpoint_and_match_the_reference(tmp_path):
    from eqm_import.safetensors_file import write_safetensors
    source = torch.load(ckpt("tiny-train-sigma"))
    path = tmp_path / "tiny.safetensors"
    write_safetensors(path, {"module." + k: v for k, v in source["ema"].items()})
    # no metadata: the energy variant must be given, as for a bare state dict
    with pytest.raises(CheckpointError, match="no args.ebm"):
        read_checkpoint(str(path), heads=4)
    c = case("tiny-train-sigma")
    result = import_model(str(path), out_dir=str(tmp_path / "model"), heads=4, ebm=vars(source["args"])["ebm"])
    assert result["weights"] == "safetensors"
    report = replay(tmp_path, tmp_path / "model" / "gradient.onnx", c, "grad", c["grad"])
    assert report["maxAbsRef"] > 0.5 and report["maxAbsDiff"] < TOLERANCE


def test_safetensors_metadata_may_name_the_model_and_energy_and_half_precision_loads_as_float(tmp_path):
    from eqm_import.safetensors_file import write_safetensors
    source = torch.load(ckpt("tiny-train-sigma"))
    path = tmp_path / "tiny-half.safetensors"
    write_safetensors(path, {k: v.half() for k, v in source["ema"].items()}, metadata={"ebm": "none", "model": "EqM-tiny/2"})
    config, weights, part, args = read_checkpoint(str(path), heads=4)
    expected, expected_weights, _, _ = read_checkpoint(ckpt("tiny-train-sigma"), heads=4)
    assert part == "safetensors" and args == {"ebm": "none", "model": "EqM-tiny/2"} and config == expected
    assert all(weights[k].dtype == torch.float32 and torch.allclose(weights[k], expected_weights[k], atol=1e-2, rtol=1e-2) for k in weights)
    # a file cut short is refused by name before anything is read
    data = path.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) - 64])
    from eqm_import.safetensors_file import SafetensorsError
    with pytest.raises(SafetensorsError, match="does not fit"):
        read_checkpoint(str(tmp_path / "cut.safetensors"), heads=4)


def test_a_prefix_on_only_some_names_is_refused_with_the_names(tmp_path):
    source = torch.load(ckpt("tiny-bare-nosigma"))
    last = list(source)[-1]
    torch.save({("module." + k if k == last else k): v for k, v in source.items()}, tmp_path / "partly.pt")
    with pytest.raises(CheckpointError, match=r"unexpected \['module\." + last.replace(".", r"\.")):
        read_checkpoint(str(tmp_path / "partly.pt"), heads=4, ebm="none")


def test_energy_head_imports_its_energy_and_refuses_generation(tmp_path):
    c = case("tiny-energy-dot")
    result = import_model(ckpt("tiny-energy-dot"), out_dir=str(tmp_path / "m"), heads=4)
    manifest = json.load(open(tmp_path / "m" / "manifest.json"))
    assert "gradient" not in manifest["files"] and "autograd" in manifest["unavailable"]
    assert result["config"]["ebm"] == "dot"
    report = replay(tmp_path, tmp_path / "m" / "energy.onnx", c, "energy", c["energy"])
    print(f"energy (dot): onnxruntime-node max abs diff {report['maxAbsDiff']:.2e}")
    assert report["maxAbsRef"] > 0.5 and report["maxAbsDiff"] < TOLERANCE * max(1, report["maxAbsRef"])
    # our PyTorch energy's autograd gradient is the trained field the reference matched (grad, project sign)
    config, weights, _, _ = read_checkpoint(ckpt("tiny-energy-dot"), heads=4)
    net = EqMNet(config, weights)
    x = torch.tensor(c["x"]).reshape(c["shape"]).requires_grad_(True)
    y = torch.tensor(c["y"])
    (g,) = torch.autograd.grad(net.energy(x, y).sum(), x)
    assert (g.reshape(-1) - torch.tensor(c["grad"])).abs().max() < TOLERANCE
    assert (net.head(x, y).reshape(-1) - torch.tensor(c["head"])).abs().max() < TOLERANCE


def test_l2_energy_by_flag_matches_the_reference(tmp_path):
    c = case("tiny-bare-nosigma")
    import_model(ckpt("tiny-bare-nosigma"), out_dir=str(tmp_path / "m"), heads=4, ebm="l2")
    report = replay(tmp_path, tmp_path / "m" / "energy.onnx", c, "energy", c["as_l2"]["energy"])
    print(f"energy (l2): onnxruntime-node max abs diff {report['maxAbsDiff']:.2e}")
    assert report["maxAbsDiff"] < TOLERANCE * max(1, report["maxAbsRef"])


@pytest.mark.parametrize("flags,message", [
    ({"heads": 4}, "pass --ebm"),
    ({"ebm": "none"}, "pass --heads"),
    ({"heads": 5, "ebm": "none"}, "do not divide the hidden size 16"),
])
def test_what_the_weights_cannot_say_must_be_given(flags, message):
    with pytest.raises(CheckpointError, match=message):
        read_checkpoint(ckpt("tiny-bare-nosigma"), **flags)


def test_a_flag_contradicting_args_is_an_error():
    with pytest.raises(CheckpointError, match="--ebm l2 contradicts args.ebm none"):
        read_checkpoint(ckpt("tiny-train-sigma"), heads=4, ebm="l2")


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="never overwrites"):
        import_model(ckpt("tiny-train-sigma"), out_dir=str(tmp_path / "m"), heads=4)
    assert (tmp_path / "m" / "keep.txt").read_text() == "mine"
    assert sorted(os.listdir(tmp_path)) == ["m"]  # no partial folder left behind


class ShapeOnly:
    """Stands in for a tensor where only the shape matters (no memory for XL/2-sized layouts)."""

    def __init__(self, shape):
        self.shape = tuple(shape)


@pytest.mark.parametrize("name,expect", [
    ("EqM-XL/2", {"hidden": 1152, "depth": 28, "heads": 16, "patch_size": 2, "latent_size": 32, "learn_sigma": True,
                  "num_classes": 1000, "null_class": 1000, "image_size": 256}),
    ("EqM-B/2", {"hidden": 768, "depth": 12, "heads": 12, "patch_size": 2, "latent_size": 32, "learn_sigma": True,
                 "num_classes": 1000, "null_class": 1000, "image_size": 256}),
])
def test_the_published_layouts_give_their_config_and_every_tensor_is_expected(name, expect):
    import argparse
    from eqm_import.checkpoint import expected_shapes, infer_config
    layout = json.load(open(os.path.join(FIXTURES, "reference-state-dict-shapes.json")))[name]
    weights = {k: ShapeOnly(v) for k, v in layout.items()}
    config = infer_config(weights, argparse.Namespace(model=name, ebm="none", uncond=True, num_classes=1000, image_size=256), name)
    assert {k: config[k] for k in expect} == expect
    shapes = expected_shapes(config)
    assert set(shapes) == set(layout)
    assert all(shapes[k] is None or list(shapes[k]) == layout[k] for k in layout)
    with pytest.raises(CheckpointError, match=r"--heads \d+ contradicts args.model"):
        infer_config(weights, argparse.Namespace(model=name, ebm="none"), name, heads_flag=12 if name == "EqM-XL/2" else 16)


def test_weights_past_the_inline_limit_go_to_one_external_data_file_and_still_match(tmp_path):
    """XL/2's 2.7 GB of weights pass protobuf's 2 GB: the same writer, with the limit lowered to the tiny model."""
    from eqm_import.checkpoint import open_checkpoint, placeholders
    from eqm_import.import_model import weight_reader
    from eqm_import.onnx_export import export_graph
    from eqm_import.sit import GradientGraph
    c = case("tiny-train-sigma")
    config, lazy, _, _ = open_checkpoint(ckpt("tiny-train-sigma"), heads=4)
    out = tmp_path / "gradient.onnx"
    # as import_model does it: traced on placeholders, each weight read from the checkpoint as it is written
    files = export_graph(GradientGraph(EqMNet(config, placeholders(lazy))), (torch.randn(2, 4, 8, 8), torch.tensor([0, 10])),
                         ["x", "y"], "grad", str(out), inline_limit=1024, tensor_for=weight_reader(config, lazy))
    assert files == ["gradient.onnx", "gradient.onnx.data"] and sorted(os.listdir(tmp_path)) == files
    assert os.path.getsize(tmp_path / "gradient.onnx.data") > 4 * 11_000  # the weights (float32) are in the data file
    report = replay(tmp_path, out, c, "grad", c["grad"])
    assert report["maxAbsDiff"] < TOLERANCE


def test_manifest_sampler_and_classes_follow_the_published_results():
    from eqm_import.manifest import sampler_for, class_names
    xl = {"model_name": "EqM-XL/2", "num_classes": 1000}
    assert sampler_for(xl)[0] == {"method": "nag", "stepSize": 0.0017, "mu": 0.3, "maxSteps": 249, "stopGradNorm": 0, "cfg": 1.5}
    assert sampler_for({"model_name": "EqM-B/2", "num_classes": 1000})[0]["cfg"] == 1
    other, source = sampler_for({"model_name": "EqM-L/2", "num_classes": 1000})
    assert other["cfg"] == 4.0 and "reference script defaults" in source
    names = class_names(xl)
    assert len(names) == 1000 == len(set(names)) and names[0] == "tench" and names[207] == "golden retriever"


def test_equal_valued_placeholders_are_not_merged_by_the_exporter(tmp_path):
    """torch's exporter merges parameters of equal value; at B/2 size fresh placeholder pages all read 0, which once
    made every block share block 0's weights. Placeholders now differ, and a merge is refused."""
    from eqm_import.checkpoint import open_checkpoint, placeholders
    from eqm_import.onnx_export import export_graph
    from eqm_import.sit import GradientGraph
    config, lazy, _, _ = open_checkpoint(ckpt("tiny-train-sigma"), heads=4)
    inputs = (torch.randn(2, 4, 8, 8), torch.tensor([0, 10]))
    zeros = {k: torch.zeros(t.shape) for k, t in lazy.items()}
    with pytest.raises(RuntimeError, match="merged or dropped parameters"):
        export_graph(GradientGraph(EqMNet(config, zeros)), inputs, ["x", "y"], "grad", str(tmp_path / "a.onnx"))
    marked = placeholders({k: torch.zeros(t.shape) for k, t in lazy.items()})  # as if every page read 0
    export_graph(GradientGraph(EqMNet(config, marked)), inputs, ["x", "y"], "grad", str(tmp_path / "b.onnx"))


def test_a_b2_sized_checkpoint_from_a_seed_imports_and_its_onnx_matches_our_forward(tmp_path):
    """At the published B/2 size (130M parameters): the export writes every weight where it belongs."""
    layout = json.load(open(os.path.join(FIXTURES, "reference-state-dict-shapes.json")))["EqM-B/2"]
    g = torch.Generator().manual_seed(0)
    state = {k: torch.randn(v, generator=g) / (v[-1] ** 0.5 if len(v) > 1 else 5) for k, v in layout.items()}
    torch.save(state, tmp_path / "b2.pt")
    del state
    import_model(str(tmp_path / "b2.pt"), out_dir=str(tmp_path / "m"), heads=12, ebm="none")
    config, weights, _, _ = read_checkpoint(str(tmp_path / "b2.pt"), heads=12, ebm="none")
    x, y = torch.randn(1, 4, 32, 32, generator=g), torch.tensor([207])
    expected = -EqMNet(config, weights).head(x, y)
    del weights
    c = {"shape": list(x.shape), "x": x.reshape(-1).tolist(), "y": y.tolist()}
    report = replay(tmp_path, tmp_path / "m" / "gradient.onnx", c, "grad", expected.reshape(-1).tolist())
    print(f"B/2 size: onnxruntime-node vs our PyTorch forward max abs diff {report['maxAbsDiff']:.2e} (max |ref| {report['maxAbsRef']:.2f})")
    assert report["maxAbsRef"] > 0.1 and report["maxAbsDiff"] < 1e-4 * max(1, report["maxAbsRef"])
