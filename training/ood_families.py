"""The OOD families beyond ood_sets.py's first ones, built offline from Debian packages.

Far-OOD (kind "ood"):
- glyphs-<script>: letters of Greek, Cyrillic, Armenian, Georgian, Hebrew and Arabic, rendered from
  fonts-dejavu-core (only the fonts that carry the script: a character a font lacks is an error)
- shapes: synthetic filled and outlined ellipses, rectangles, triangles, lines and rings
- photos-sklearn: crops of python3-sklearn's two bundled photos (china, flower), other sources
  than ood_sets.photos (skimage)
- faces: the 100 faces of skimage's bundled LFW subset (25x25, padded to 28x28)
Near-OOD (kind "near-ood"), transforms of in-distribution test images with stated magnitudes:
- rot90, rot180, rot270; hflip (vflip is ood_sets')
- shift: 4-6 px in a random direction on each axis that moves (content leaves the frame)
- crop: a window keeping 50-75% of the area, resized back to 28x28
- blur: Gaussian blur, sigma 1.5-2.5
- contrast: intensities scaled by 0.3-0.5 (black stays black)
- occlusion: a black rectangle covering 25-40% of the area
"""
import numpy as np

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
# script -> (code point ranges, DejaVu fonts that carry all of them)
SCRIPTS = {
    "greek": ([(0x3B1, 0x3C9)], ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"]),
    "cyrillic": ([(0x430, 0x44F)], ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"]),
    "armenian": ([(0x531, 0x556)], ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"]),
    "georgian": ([(0x10D0, 0x10F0)], ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf"]),
    "hebrew": ([(0x5D0, 0x5EA)], ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"]),
    # Arabic: the basic letters, not the extensions U+063B-063F
    "arabic": ([(0x627, 0x63A), (0x641, 0x64A)], ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"]),
}
# sets held out together: near-duplicates of one another (a 270-degree rotation is a 90-degree one
# flipped twice) would leak across folds if held out one by one
GROUPS = {"rot90": "flip-rotate", "rot180": "flip-rotate", "rot270": "flip-rotate", "vflip": "flip-rotate", "hflip": "flip-rotate",
          "gaussian": "noise", "uniform": "noise"}


def family_of(name):
    return GROUPS.get(name, name)


def _glyph_masks(font, chars):
    """Rendered masks; a character the font lacks renders as its .notdef box, which is refused."""
    notdef = np.asarray(font.getmask("\uffff"))
    masks = {}
    for c in chars:
        mask = np.asarray(font.getmask(c))
        if mask.shape == notdef.shape and np.array_equal(mask, notdef):
            raise ValueError(f"{font.path} has no glyph for U+{ord(c):04X}")
        masks[c] = mask
    return masks


def render_glyph(font, char, rng):
    """One character, centred in a 28x28 frame with a jitter of up to 2 px, in a random bright grey on black
    (the random draws in this order: x jitter, y jitter, grey; the committed sets depend on it)."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (28, 28), 0)
    draw = ImageDraw.Draw(canvas)
    left, top, right, bottom = draw.textbbox((0, 0), char, font=font)
    x = (28 - (right - left)) / 2 - left + rng.uniform(-2, 2)
    y = (28 - (bottom - top)) / 2 - top + rng.uniform(-2, 2)
    draw.text((x, y), char, fill=int(rng.integers(180, 256)), font=font)
    return np.asarray(canvas)


def glyphs(script, n, rng):
    from PIL import ImageFont

    ranges, fonts = SCRIPTS[script]
    chars = [chr(c) for first, last in ranges for c in range(first, last + 1)]
    out = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        path = DEJAVU + fonts[rng.integers(len(fonts))]
        font = ImageFont.truetype(path, int(rng.integers(16, 27)))
        char = chars[rng.integers(len(chars))]
        _glyph_masks(font, [char])
        out[k] = render_glyph(font, char, rng)
    return out


def shapes(n, rng):
    from PIL import Image, ImageDraw

    out = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        canvas = Image.new("L", (28, 28), 0)
        draw = ImageDraw.Draw(canvas)
        for _ in range(int(rng.integers(1, 3))):
            x0, y0 = rng.uniform(2, 14, 2)
            x1, y1 = x0 + rng.uniform(6, 24 - x0 + 4), y0 + rng.uniform(6, 24 - y0 + 4)
            box = [float(x0), float(y0), float(min(x1, 26)), float(min(y1, 26))]
            fill = int(rng.integers(120, 256))
            filled = rng.random() < 0.5
            width = int(rng.integers(1, 4))
            kind = rng.integers(5)
            if kind == 0:
                draw.ellipse(box, fill=fill if filled else None, outline=fill, width=width)
            elif kind == 1:
                draw.rectangle(box, fill=fill if filled else None, outline=fill, width=width)
            elif kind == 2:
                pts = [(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) / 2, box[1])]
                draw.polygon(pts, fill=fill if filled else None, outline=fill)
            elif kind == 3:
                draw.line([(box[0], box[1]), (box[2], box[3])], fill=fill, width=width + 1)
            else:
                draw.ellipse(box, outline=fill, width=width + 2)
        out[k] = np.asarray(canvas)
    return out


def _crops(sources, n, rng, min_side=28):
    from PIL import Image

    out = np.zeros((n, 28, 28), np.uint8)
    for k in range(n):
        source = sources[rng.integers(len(sources))]
        side = int(rng.integers(min_side, min(source.shape) + 1))
        y = int(rng.integers(0, source.shape[0] - side + 1))
        x = int(rng.integers(0, source.shape[1] - side + 1))
        out[k] = np.asarray(Image.fromarray(source[y:y + side, x:x + side]).resize((28, 28), Image.BILINEAR))
    return out


def photos_sklearn(n, rng):
    from sklearn.datasets import load_sample_images

    sources = [np.uint8(np.clip(img[..., :3] @ np.array([0.299, 0.587, 0.114]), 0, 255)) for img in load_sample_images().images]
    return _crops(sources, n, rng)


def faces(n, rng):
    import skimage.data

    # lfw_subset is 100 faces then 100 non-face patches: the faces only
    raw = np.uint8(np.clip(skimage.data.lfw_subset()[:100] * 255.0, 0, 255))  # [100, 25, 25]
    picks = rng.choice(len(raw), size=n, replace=n > len(raw))
    out = np.zeros((n, 28, 28), np.uint8)
    out[:, 1:26, 1:26] = raw[picks]
    return out


def far_families(n, rng):
    sets = [(f"glyphs-{script}", "ood", glyphs(script, n, rng)) for script in SCRIPTS]
    return sets + [("shapes", "ood", shapes(n, rng)), ("photos-sklearn", "ood", photos_sklearn(n, rng)), ("faces", "ood", faces(n, rng))]


def shift(images, rng):
    out = np.zeros_like(images)
    for k, img in enumerate(images):
        dy, dx = (int(rng.integers(4, 7)) * int(rng.choice([-1, 1])) for _ in range(2))
        rolled = np.roll(img, (dy, dx), axis=(0, 1))
        mask = np.zeros((28, 28), bool)
        mask[max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = True
        out[k] = np.where(mask, rolled, 0)
    return out


def crop(images, rng):
    from PIL import Image

    out = np.zeros_like(images)
    for k, img in enumerate(images):
        area = rng.uniform(0.5, 0.75)
        h = int(np.clip(round(28 * np.sqrt(area) * rng.uniform(0.85, 1.15)), 14, 27))
        w = int(min(27, np.floor(area * 784 / h)))
        y, x = int(rng.integers(0, 28 - h + 1)), int(rng.integers(0, 28 - w + 1))
        out[k] = np.asarray(Image.fromarray(img[y:y + h, x:x + w]).resize((28, 28), Image.BILINEAR))
    return out


def blur(images, rng):
    from scipy.ndimage import gaussian_filter

    return np.stack([np.uint8(np.clip(np.round(gaussian_filter(img.astype(np.float64), rng.uniform(1.5, 2.5))), 0, 255)) for img in images])


def contrast(images, rng):
    scale = rng.uniform(0.3, 0.5, (len(images), 1, 1))
    return np.uint8(np.round(images * scale))


def occlusion(images, rng):
    out = images.copy()
    for k in range(len(images)):
        area = rng.uniform(0.25, 0.4) * 784
        h = int(np.clip(round(np.sqrt(area) * rng.uniform(0.7, 1.4)), 8, 28))
        w = int(min(28, np.ceil(area / h)))
        y, x = int(rng.integers(0, 28 - h + 1)), int(rng.integers(0, 28 - w + 1))
        out[k, y:y + h, x:x + w] = 0
    return out


def near_families(images, labels, rng):
    near = [("rot90", np.rot90(images, 1, axes=(1, 2))), ("rot180", np.rot90(images, 2, axes=(1, 2))),
            ("rot270", np.rot90(images, 3, axes=(1, 2))), ("hflip", images[:, :, ::-1]), ("shift", shift(images, rng)),
            ("crop", crop(images, rng)), ("blur", blur(images, rng)), ("contrast", contrast(images, rng)), ("occlusion", occlusion(images, rng))]
    return [(name, "near-ood", np.ascontiguousarray(x), labels) for name, x in near]
