"""The 1000 ImageNet-1k class names in class-index order, read from imagenet_classes.json (data)."""
import json
import os


def imagenet_class_names():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet_classes.json")) as f:
        names = json.load(f)
    if len(names) != 1000:
        raise RuntimeError(f"imagenet_classes.json holds {len(names)} names, not 1000")
    return names
