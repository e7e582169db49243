"""Judge classifier for Fashion-MNIST (separate from the generator), used for judged accuracy
and FID in its penultimate features.

/usr/bin/python3 training/classifier.py --minutes 8 --threads 1
  -> training/runs/classifier/classifier.pt and models/fashion-mnist/classifier.onnx
ONNX: input x float32 [B,1,28,28] in [-1,1]; outputs logits float32 [B,10], features float32 [B,D].
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import load_split  # noqa: E402

FEATURE_DIM = 128


class Classifier(nn.Module):
    def __init__(self, width=32, feature_dim=FEATURE_DIM):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
            nn.MaxPool2d(2),  # 14
            nn.Conv2d(w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.MaxPool2d(2),  # 7
            nn.Conv2d(2 * w, 4 * w, 3, padding=1), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(4 * w, feature_dim), nn.ReLU(),
        )
        self.drop = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, 10)

    def forward(self, x):
        feats = self.body(x)
        return self.head(self.drop(feats)), feats


SHIPPED_ONNX = os.path.join(HERE, "..", "models", "fashion-mnist", "classifier.onnx")


def load_classifier(path=os.path.join(HERE, "runs", "classifier", "classifier.pt")):
    """The judge: its training checkpoint when this checkout has one, else the shipped ONNX
    export of it (the same network with batch norms folded into the convolutions)."""
    if not os.path.exists(path) and os.path.exists(SHIPPED_ONNX):
        return FoldedClassifier.from_onnx(SHIPPED_ONNX)
    ck = torch.load(path)
    m = Classifier(**ck["config"])
    m.load_state_dict(ck["model"])
    return m.eval()


class FoldedClassifier(nn.Module):
    """Classifier as torch.onnx.export writes it in eval mode: conv+BN folded, dropout gone."""

    def __init__(self, convs, hidden, head):
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.hidden, self.head = hidden, head

    def forward(self, x):
        h = x
        for i, conv in enumerate(self.convs):
            h = F.relu(conv(h))
            if i in (1, 3):
                h = F.max_pool2d(h, 2)
        feats = F.relu(self.hidden(h.mean((2, 3))))
        return self.head(feats), feats

    @staticmethod
    def from_onnx(path):
        import onnx
        from onnx import numpy_helper
        graph = onnx.load(path).graph
        weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
        ops = [n for n in graph.node if n.op_type in ("Conv", "Gemm")]
        if [n.op_type for n in ops] != ["Conv"] * 5 + ["Gemm"] * 2:
            raise ValueError(f"{path}: not the judge classifier's graph (5 convolutions, 2 dense layers)")

        def layer(node):
            w, b = weights[node.input[1]], weights[node.input[2]]
            mod = nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1) if node.op_type == "Conv" else nn.Linear(w.shape[1], w.shape[0])
            mod.weight.data.copy_(w)
            mod.bias.data.copy_(b)
            return mod
        layers = [layer(n) for n in ops]
        return FoldedClassifier(layers[:5], layers[5], layers[6]).eval()


@torch.no_grad()
def classify(model, x, batch=1000):
    logits, feats = [], []
    for i in range(0, x.shape[0], batch):
        lo, fe = model(x[i:i + batch])
        logits.append(lo)
        feats.append(fe)
    return torch.cat(logits), torch.cat(feats)


def augment(x):
    # random shifts by up to 2 pixels (no flips: shoes in Fashion-MNIST all face one way)
    pad = F.pad(x, (2, 2, 2, 2), value=-1.0)
    i, j = torch.randint(0, 5, (2,)).tolist()
    return pad[:, :, i:i + 28, j:j + 28]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=8.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--out", default=os.path.join(HERE, "..", "models", "fashion-mnist", "classifier.onnx"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    run_dir = os.path.join(HERE, "runs", "classifier")
    os.makedirs(run_dir, exist_ok=True)
    x, y = load_split("train")
    xt, yt = load_split("test")
    model = Classifier(width=args.width)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    t0 = time.time()
    step, images = 0, 0
    budget = args.minutes * 60
    while time.time() - t0 < budget:
        perm = torch.randperm(x.shape[0])
        for s in range(0, x.shape[0] - args.batch + 1, args.batch):
            frac = (time.time() - t0) / budget
            if frac >= 1:
                break
            for g in opt.param_groups:
                g["lr"] = args.lr * 0.5 * (1 + torch.cos(torch.tensor(frac * 3.14159265)).item())
            idx = perm[s:s + args.batch]
            logits, _ = model(augment(x[idx]))
            loss = F.cross_entropy(logits, y[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            images += len(idx)
            if step % 100 == 0:
                print(json.dumps(dict(step=step, images=images, loss=loss.item(),
                                      minutes=(time.time() - t0) / 60)), flush=True)
    model.eval()
    logits, _ = classify(model, xt)
    pred = logits.argmax(1)
    acc = (pred == yt).float().mean().item()
    per_class = [(pred[yt == c] == c).float().mean().item() for c in range(10)]
    result = dict(test_accuracy=acc, per_class=per_class, steps=step, images=images,
                  minutes=(time.time() - t0) / 60, width=args.width, feature_dim=FEATURE_DIM,
                  command="/usr/bin/python3 training/classifier.py " + " ".join(sys.argv[1:]))
    print(json.dumps(result), flush=True)
    torch.save(dict(model=model.state_dict(), config=dict(width=args.width), result=result),
               os.path.join(run_dir, "classifier.pt"))
    with open(os.path.join(run_dir, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
    out = os.path.abspath(args.out)
    torch.onnx.export(model, torch.zeros(2, 1, 28, 28), out, input_names=["x"],
                      output_names=["logits", "features"], opset_version=17,
                      dynamic_axes={"x": {0: "B"}, "logits": {0: "B"}, "features": {0: "B"}})
    print("exported", out, flush=True)


if __name__ == "__main__":
    main()
