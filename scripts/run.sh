#!/usr/bin/env bash
# Installs, builds and runs the server: then open http://127.0.0.1:8080
# Extra arguments go to the server (see build/actorchat --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DACTORCHAT_TESTS=OFF
cmake --build build -j2 --target actorchat
exec build/actorchat "$@"
