"""The shipped model's sampler defaults, read from its manifest: the one owner of those
values (the app, the CLI and these scripts all start from it; the bounds live in
src/shared/settings.ts). Scripts use them as their argparse defaults."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_MANIFEST = os.path.join(HERE, "..", "models", "fashion-mnist", "manifest.json")


def shipped_sampler(manifest_path=SHIPPED_MANIFEST):
    """method, eta, mu, steps, stop and guidance under the names the training scripts use (sampler.py):
    with guidance by place (the manifest's farCfg until the guided RMS falls under farUntilRms, then
    cfg, as src/engine/sampler.ts switches it on), cfg is the far guidance, cfg_near the near one and
    guide_until the bound; without it, cfg alone (cfg_near None, guide_until 0)."""
    with open(manifest_path) as f:
        s = json.load(f)["sampler"]
    far = s.get("farUntilRms", 0) > 0 and s.get("farCfg", 0) > 0 and s["cfg"] > 0
    return dict(method=s["method"], eta=s["stepSize"], mu=s["mu"], steps=s["maxSteps"], stop=s["stopGradNorm"],
                cfg=s["farCfg"] if far else s["cfg"], cfg_near=s["cfg"] if far else None,
                guide_until=s["farUntilRms"] if far else 0.0)


def manifest_sampler(setting):
    """The way back: sampler.py's names to the manifest's (cfg_near/guide_until: guidance by place,
    farCfg until farUntilRms)."""
    out = {"method": setting["method"], "stepSize": setting["eta"], "mu": setting["mu"], "maxSteps": setting["steps"],
           "stopGradNorm": setting["stop"], "cfg": setting["cfg"]}
    if setting.get("guide_until", 0) > 0 and setting.get("cfg_near") is not None:
        out.update(cfg=setting["cfg_near"], farCfg=setting["cfg"], farUntilRms=setting["guide_until"])
    return out
