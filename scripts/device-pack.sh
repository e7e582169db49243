#!/usr/bin/env bash
# Prepares what scripts/device-check.sh needs on a lent GPU machine that has no Node and no
# internet (issue 13 item 6), into .device/ (in .gitignore, passed to the device tool as carry):
#   runtime.tar.xz  this machine's node binary and onnxruntime-node (binding + libonnxruntime, linux x64)
#   bench.cjs, bench-device.cjs  the engine's benchmarks bundled by esbuild (onnxruntime-node left external)
#   models/fashion-mnist  the embedded model
# and the Vulkan loader debs into .gl/ as the device tool's README says (WebGPU runs on Vulkan there).
# Usage: scripts/device-pack.sh [--no-gl]   (then: device run, carry .device and .gl, command scripts/device-check.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.device
rm -rf "$out" && mkdir -p "$out/stage/node_modules" "$out/models"

for entry in bench device; do
  name=$([ "$entry" = bench ] && echo bench || echo bench-device)
  npx esbuild "bench/$entry.ts" --bundle --platform=node --target=node20 --format=cjs \
    --external:onnxruntime-node --log-level=warning --outfile="$out/$name.cjs"
done
cp -r models/fashion-mnist "$out/models/"

ort=node_modules/onnxruntime-node
mkdir -p "$out/stage/node_modules/onnxruntime-node/bin/napi-v6/linux" "$out/stage/bin"
cp -r "$ort/package.json" "$ort/dist" "$out/stage/node_modules/onnxruntime-node/"
cp -r "$ort/bin/napi-v6/linux/x64" "$out/stage/node_modules/onnxruntime-node/bin/napi-v6/linux/"
cp -r node_modules/onnxruntime-common "$out/stage/node_modules/"
cp "$(readlink -f "$(command -v node)")" "$out/stage/bin/node"
tar -C "$out/stage" -cf - . | xz -T0 -6 > "$out/runtime.tar.xz"
rm -rf "$out/stage"

if [ "${1:-}" != "--no-gl" ] && ! ls .gl/libglvnd0_*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null
  # the Vulkan loader, and the GL dispatch libraries NVIDIA's Vulkan driver (libGLX_nvidia) links
  # against: with libvulkan1 alone WebGPU found 'No supported adapters' on the lent H200
  (cd .gl && apt-get $o download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 >/dev/null)
fi
du -sh "$out" .gl 2>/dev/null || true
