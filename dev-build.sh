#!/usr/bin/env bash
# Developer build: incremental CMake/Ninja build in build-<name> (default build-dev),
# module copied into pyppml/ so `python -m pytest` runs from the source tree.
set -euo pipefail
cd "$(dirname "$0")"
dir=${1:-build-dev}
if [ ! -f "$dir/build.ninja" ]; then
  # CPU-only unless PYPPML_CUDA is set (AUTO/ON builds pyppml/_gpu too; see docs/gpu.md).
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPPML_INPLACE=ON \
    -DPYPPML_CUDA="${PYPPML_CUDA:-OFF}" -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" >/dev/null
fi
cmake --build "$dir"
