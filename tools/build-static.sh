#!/usr/bin/env bash
# Builds the mock as one static executable (glibc linked in: -C target-feature=+crt-static on
# the gnu target), for the container image and for any Linux x86-64 machine:
#
#   tools/build-static.sh          # -> target/image/vms-billing-mock
#
# Needs only the Rust toolchain: no base image, no musl toolchain. The image's Dockerfile
# copies the result.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --target "$TARGET"
mkdir -p target/image
cp "target/$TARGET/release/vms-billing-mock" target/image/vms-billing-mock
strip target/image/vms-billing-mock 2>/dev/null || true
ls -l target/image/vms-billing-mock
# ldd says "statically linked" or "not a dynamic executable" for a static binary.
LDD=$(ldd target/image/vms-billing-mock 2>&1 || true)
case "$LDD" in
  *"statically linked"*|*"not a dynamic executable"*) echo "static: $(echo "$LDD" | tr -d '\t')" ;;
  *) echo "error: the binary is dynamically linked: $LDD" >&2; exit 1 ;;
esac
