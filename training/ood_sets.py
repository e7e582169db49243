"""Builds the OOD evaluation sets offline, from Debian packages only (nothing downloaded).

    /usr/bin/python3 training/ood_sets.py --out training/data-cache/ood

Every set is N x 28 x 28 uint8, white-ish content on black like Fashion-MNIST, written as
<name>.u8 (raw bytes) with index.json describing them, so the Node side reads them as is.

- fmnist-calib: Fashion-MNIST test images [0, 5000): the calibration split (never scored as eval)
- fmnist-test:  Fashion-MNIST test images [5000, 10000): in-distribution evaluation
- digits:       python3-sklearn's 8x8 digits, upscaled to 20x20 and centred like MNIST. MNIST-like,
                not MNIST: no claim of parity with published Fashion-MNIST-vs-MNIST numbers.
- letters:      A-J rendered from the pinned fonts below (notMNIST-like), sizes and offsets varied
- photos:       grayscale 28x28 crops of python3-skimage's bundled sample images
- gaussian, uniform: noise images; constant: flat images of every gray level
- vflip, invert: near-OOD transforms of fmnist-test
More families (ood_families.py): glyphs of other scripts (DejaVu), synthetic shapes, photo crops
from other sources (sklearn's two photos, skimage's LFW faces), and near-OOD transforms of
fmnist-test with stated magnitudes. Every set has a family (index.json "family"): the unit that
ood_eval.py holds out.
"""
import argparse
import json
import os

import numpy as np

from data import DATA_DIR, read_idx
import ood_families

# (Debian package, font file): installed by .ci/run; missing files are an error, not a skip.
PINNED_FONTS = [
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    ("fonts-dejavu-core", "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
    ("fonts-liberation2", "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
    ("fonts-liberation2", "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
    ("fonts-liberation2", "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    ("fonts-liberation2", "/usr/share/fonts/truetype/liberation2/LiberationSerif-Italic.ttf"),
    ("fonts-liberation2", "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf"),
]
PHOTOS = ["camera", "astronaut", "coffee", "chelsea", "rocket", "brick", "grass", "gravel", "moon", "page", "text",
          "coins", "horse", "clock", "hubble_deep_field", "immunohistochemistry", "retina", "cell"]
CALIB = (0, 5000)
TEST = (5000, 10000)


def fashion_test():
    return read_idx(os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz"))  # uint8 [10000, 28, 28]


def digits(n, rng):
    from PIL import Image
    from sklearn.datasets import load_digits

    raw = load_digits().images  # 0..16
    picks = rng.choice(len(raw), size=n, replace=n > len(raw))
    out = np.zeros((n, 28, 28), np.uint8)
    for k, i in enumerate(picks):
        small = Image.fromarray(np.uint8(np.clip(raw[i] / 16.0 * 255.0, 0, 255)))
        out[k, 4:24, 4:24] = np.asarray(small.resize((20, 20), Image.BILINEAR))
    return out


def letters(n, rng):
    from PIL import ImageFont

    for package, path in PINNED_FONTS:
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path} is missing: apt-get install {package}")
    out = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        _package, path = PINNED_FONTS[rng.integers(len(PINNED_FONTS))]
        letter = "ABCDEFGHIJ"[rng.integers(10)]
        font = ImageFont.truetype(path, int(rng.integers(16, 27)))
        out[k] = ood_families.render_glyph(font, letter, rng)
    return out


def photos(n, rng):
    from PIL import Image
    import skimage.data
    from skimage.color import rgb2gray

    sources = []
    for name in PHOTOS:
        image = getattr(skimage.data, name)()
        if image.ndim == 3:
            image = rgb2gray(image[..., :3])
        image = np.asarray(image, np.float64)
        if image.max() > 1.0:
            image = image / 255.0
        sources.append(np.uint8(np.clip(image * 255.0, 0, 255)))
    out = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        source = sources[rng.integers(len(sources))]
        side = int(rng.integers(28, min(source.shape) + 1))
        y = int(rng.integers(0, source.shape[0] - side + 1))
        x = int(rng.integers(0, source.shape[1] - side + 1))
        crop = Image.fromarray(source[y:y + side, x:x + side])
        out[k] = np.asarray(crop.resize((28, 28), Image.BILINEAR))
    return out


def split_indices(n_eval, n_calib, rng):
    """Test-set indices of the calibration and evaluation images: disjoint by construction."""
    calib = CALIB[0] + rng.choice(CALIB[1] - CALIB[0], size=min(n_calib, CALIB[1] - CALIB[0]), replace=False)
    inside = TEST[0] + rng.choice(TEST[1] - TEST[0], size=min(n_eval, TEST[1] - TEST[0]), replace=False)
    return np.sort(calib), np.sort(inside)


def build(n_eval=1000, n_calib=2000, seed=0, extra=True):
    """Returns [(name, kind, images, labels or None)], kind in {calibration, in, ood, near-ood}."""
    rng = np.random.default_rng(seed)
    test = fashion_test()
    labels = read_idx(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz"))
    calib_idx, inside_idx = split_indices(n_eval, n_calib, rng)
    inside = test[inside_idx]
    n_small = max(1, n_eval // 2)
    sets = [
        ("fmnist-calib", "calibration", test[calib_idx], labels[calib_idx]),
        ("fmnist-test", "in", inside, labels[inside_idx]),
        ("digits", "ood", digits(n_eval, rng)),
        ("letters", "ood", letters(n_eval, rng)),
        ("photos", "ood", photos(n_eval, rng)),
        ("gaussian", "ood", np.uint8(np.clip(rng.normal(127.5, 64.0, (n_small, 28, 28)), 0, 255))),
        ("uniform", "ood", rng.integers(0, 256, (n_small, 28, 28), dtype=np.uint8)),
        ("constant", "ood", np.repeat(np.linspace(0, 255, min(256, n_small)).astype(np.uint8), 784).reshape(-1, 28, 28)),
        ("vflip", "near-ood", inside[:, ::-1, :].copy(), labels[inside_idx]),
        ("invert", "near-ood", (255 - inside).astype(np.uint8), labels[inside_idx]),
    ]
    if extra:
        n_extra = max(1, n_eval * 2 // 5)
        sets += ood_families.far_families(n_extra, rng)
        picks = rng.choice(len(inside), size=min(n_extra, len(inside)), replace=False)
        sets += ood_families.near_families(inside[picks], labels[inside_idx][picks], rng)
    return [entry if len(entry) == 4 else (*entry, None) for entry in sets]


def write(sets, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    index = []
    for name, kind, images, labels in sets:
        assert images.dtype == np.uint8 and images.shape[1:] == (28, 28), name
        with open(os.path.join(out_dir, f"{name}.u8"), "wb") as f:
            f.write(np.ascontiguousarray(images).tobytes())
        entry = {"name": name, "kind": kind, "family": ood_families.family_of(name), "count": int(images.shape[0]), "file": f"{name}.u8", "shape": [28, 28]}
        if labels is not None:
            entry["labels"] = [int(v) for v in labels]
        index.append(entry)
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump({"sets": index, "calibrationSplit": list(CALIB), "testSplit": list(TEST)}, f, indent=2)
    return index


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="training/data-cache/ood")
    parser.add_argument("--n-eval", type=int, default=1000)
    parser.add_argument("--n-calib", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    index = write(build(args.n_eval, args.n_calib, args.seed), args.out)
    for entry in index:
        print(f"{entry['name']:14s} {entry['kind']:12s} {entry['count']}")


if __name__ == "__main__":
    main()
