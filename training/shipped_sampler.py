"""The shipped model's sampler defaults, read from its manifest: the one owner of those
values (the app, the CLI and these scripts all start from it; the bounds live in
src/shared/settings.ts). Scripts use them as their argparse defaults."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SHIPPED_MANIFEST = os.path.join(HERE, "..", "models", "fashion-mnist", "manifest.json")


def shipped_sampler(manifest_path=SHIPPED_MANIFEST):
    """method, eta, mu, steps, stop and guidance under the names the training scripts use (sampler.py).
    Guidance that changes on the way (src/engine/sampler.ts and sampler-clock.ts switch it the same
    way): cfg is the guidance far from equilibrium (the manifest's farCfg), cfg_near the one after the
    switch (the manifest's cfg); the descent switches where the guided RMS first falls under
    guide_until (farUntilRms), the clock method where t reaches far_until_time (farUntilTime). Without
    a switch, cfg alone (cfg_near None, guide_until and far_until_time 0)."""
    with open(manifest_path) as f:
        s = json.load(f)["sampler"]
    bound = s.get("farUntilTime", 0) if s["method"] == "clock" else s.get("farUntilRms", 0)
    far = bound > 0 and s.get("farCfg", 0) > 0 and s["cfg"] > 0
    return dict(method=s["method"], eta=s["stepSize"], mu=s["mu"], steps=s["maxSteps"], stop=s["stopGradNorm"],
                cfg=s["farCfg"] if far else s["cfg"], cfg_near=s["cfg"] if far else None,
                guide_until=bound if far and s["method"] != "clock" else 0.0,
                far_until_time=bound if far and s["method"] == "clock" else 0.0)


def manifest_sampler(setting):
    """The way back: sampler.py's names to the manifest's (cfg_near with guide_until or, for the
    clock, far_until_time: farCfg until the switch, cfg after it)."""
    out = {"method": setting["method"], "stepSize": setting["eta"], "mu": setting["mu"], "maxSteps": setting["steps"],
           "stopGradNorm": setting["stop"], "cfg": setting["cfg"]}
    if setting.get("cfg_near") is not None:
        if setting["method"] == "clock" and setting.get("far_until_time", 0) > 0:
            out.update(cfg=setting["cfg_near"], farCfg=setting["cfg"], farUntilTime=setting["far_until_time"])
        elif setting["method"] != "clock" and setting.get("guide_until", 0) > 0:
            out.update(cfg=setting["cfg_near"], farCfg=setting["cfg"], farUntilRms=setting["guide_until"])
    return out
