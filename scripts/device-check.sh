#!/usr/bin/env bash
# The device check of issue 13 item 6, run on a lent NVIDIA machine from the repo root:
#   device run: carry [".device", ".gl"], command "scripts/device-check.sh", timeout_s ~540
# (prepare both here first with scripts/device-pack.sh). It unpacks the carried Node and
# onnxruntime and the Vulkan loader, builds a B/2-size random latent model with the device's
# torch (dynamo=False, opset 16), and runs the engine's own benchmarks on WebGPU: the 16-image
# generate job (bench.cjs) and bench-device.cjs (ms per step per batch size, parity against the
# CPU provider, step graph vs host round trip). One JSON to $OUT/device-check.json.
#   --cpu-short: the same path on the CPU provider, small and quick (CI runs it through vitest),
#                with node/onnxruntime from the checkout and no latent model unless --latent FILE.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-/tmp/eqm-device-check}"
mkdir -p "$out"
mode=gpu
latent=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu-short) mode=cpu-short ;;
    --latent) latent="$2"; shift ;;
    *) echo "device-check: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$mode" = cpu-short ]; then
  node=node
  bench_device="node_modules/.bin/tsx bench/device.ts"
  command -v npx >/dev/null && bench_device="npx --no-install tsx bench/device.ts"
  $bench_device --provider cpu --short --models models ${latent:+--latent "$latent"} --out "$out/device-check.json" >"$out/device.log" 2>&1
  status=$?
  cat "$out/device.log"
  exit $status
fi

started=$(date +%s)
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
runtime=/tmp/eqm-runtime
mkdir -p "$runtime" && xz -dc .device/runtime.tar.xz | tar -C "$runtime" -xf -
export PATH="$runtime/bin:$PATH" NODE_PATH="$runtime/node_modules"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader >"$out/gpu.txt" 2>&1

PYTHONUNBUFFERED=1 timeout 150 python3 training/make_random_sit.py --model SiT-B/2 --out /tmp/sit-b2.onnx --time-eager "$out/torch-eager-b2.json" >"$out/latent.log" 2>&1 || echo "latent model not built (see latent.log)" >&2
latent_arg=()
[ -f /tmp/sit-b2.onnx ] && latent_arg=(--latent /tmp/sit-b2.onnx)

timeout 300 node .device/bench-device.cjs --provider webgpu --models .device/models "${latent_arg[@]}" --out "$out/bench-device-webgpu.json" >"$out/device.log" 2>&1
timeout 60 node .device/bench.cjs --provider webgpu --models .device/models --repeats 10 --out "$out/bench-webgpu.json" >"$out/bench.log" 2>&1

node -e '
const fs = require("fs"); const out = process.argv[1]
const read = (f) => { try { return JSON.parse(fs.readFileSync(`${out}/${f}`, "utf8")) } catch (e) { return { missing: f, error: String(e.message) } } }
const gpu = fs.existsSync(`${out}/gpu.txt`) ? fs.readFileSync(`${out}/gpu.txt`, "utf8").trim() : null
fs.writeFileSync(`${out}/device-check.json`, JSON.stringify({ gpu, seconds: Number(process.argv[2]), deviceBench: read("bench-device-webgpu.json"), torchEagerB2: read("torch-eager-b2.json"), generateBench: read("bench-webgpu.json") }, null, 2) + "\n")
' "$out" "$(( $(date +%s) - started ))"
cat "$out/device-check.json"
