"""python -m eqm_import import|import-vae ...: what the `eqm import` CLI runs. Prints one JSON line on success;
on a refused input, one line "error: ..." on stderr and exit status 2."""
import argparse
import json
import sys

from .checkpoint import CheckpointError
from .safe_load import UnsafeCheckpointError
from .safetensors_file import SafetensorsError
from .vae import VaeLayoutError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m eqm_import")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import")
    imp.add_argument("checkpoint")
    where = imp.add_mutually_exclusive_group(required=True)
    where.add_argument("--out")
    where.add_argument("--models")
    imp.add_argument("--id")
    imp.add_argument("--title")
    imp.add_argument("--heads", type=int)
    imp.add_argument("--ebm", choices=["none", "l2", "dot", "mean"])
    imp.add_argument("--vae")
    vae = sub.add_parser("import-vae")
    vae.add_argument("folder")
    vwhere = vae.add_mutually_exclusive_group(required=True)
    vwhere.add_argument("--out")
    vwhere.add_argument("--models")
    vae.add_argument("--id")
    args = parser.parse_args(argv)
    try:
        if args.command == "import":
            from .import_model import import_model
            result = import_model(args.checkpoint, out_dir=args.out, models_root=args.models, model_id=args.id,
                                  title=args.title, heads=args.heads, ebm=args.ebm, vae_id=args.vae)
        else:
            from .import_vae import import_vae
            result = import_vae(args.folder, out_dir=args.out, models_root=args.models, vae_id=args.id)
    except (CheckpointError, UnsafeCheckpointError, SafetensorsError, VaeLayoutError, FileExistsError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
