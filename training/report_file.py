"""Reports that are generated in part: the generated head of a Markdown file is rewritten, and
what was written by hand after it (from a given heading on) is kept."""
import os


def write_keeping_tail(path, generated, heading):
    """Writes `generated` to path, followed by the old file's text from `heading` (a line of its own) on, if it has one."""
    kept = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        at = old.find("\n" + heading)
        kept = old[at:] if at >= 0 else ""
    with open(path, "w") as f:
        f.write(generated.rstrip("\n") + "\n" + kept if kept else generated)
