#!/usr/bin/env bash
# Builds the rakenne container image with podman (or docker: CONTAINER=docker).
#
#   bash deploy/build-image.sh                   # deploy/Containerfile: Rust builder
#                                                # image, then the distroless runtime
#   bash deploy/build-image.sh --scratch [BIN]   # deploy/Containerfile.scratch: the
#                                                # runtime stage FROM scratch around a
#                                                # binary built on this host
#
# Environment: TAG (default rakenne:0.1.0), RUST_IMAGE and RUNTIME_IMAGE (base images,
# passed as build arguments), REVISION (default: git HEAD).
#
# --scratch is for machines that cannot pull base images: BIN (default
# target/release/rakenne) is copied into a staging directory with the shared libraries
# `ldd` lists and an /etc/passwd entry for uid 65532, stripped of debug symbols (which
# do not change what runs), and built FROM scratch. tests/deploy.rs runs it that way.
set -euo pipefail
cd "$(dirname "$0")/.."
CONTAINER=${CONTAINER:-podman}
TAG=${TAG:-rakenne:0.1.0}
REVISION=${REVISION:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

if [ "${1:-}" != "--scratch" ]; then
    args=(--build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION")
    [ -n "${RUST_IMAGE:-}" ] && args+=(--build-arg "RUST_IMAGE=$RUST_IMAGE")
    [ -n "${RUNTIME_IMAGE:-}" ] && args+=(--build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE")
    ignore=()
    [ "$CONTAINER" = podman ] && ignore=(--ignorefile deploy/Containerfile.dockerignore)
    exec "$CONTAINER" build "${ignore[@]}" "${args[@]}" -f deploy/Containerfile -t "$TAG" .
fi

BIN=${2:-target/release/rakenne}
[ -x "$BIN" ] || { echo "build-image: no executable $BIN (cargo build --release first)" >&2; exit 2; }
STAGE=${STAGE:-$(mktemp -d)}
rm -rf "$STAGE/rootfs"
mkdir -p "$STAGE/rootfs/usr/local/bin" "$STAGE/rootfs/etc"
objcopy --strip-debug "$BIN" "$STAGE/rootfs/usr/local/bin/rakenne"
# Every library the binary loads, at the path the loader looks it up (ldd's "=> /path"
# and the loader's own absolute path); the vdso is the kernel's and has no file.
ldd "$BIN" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]+ \(/ { print $1 }' | while read -r lib; do
    mkdir -p "$STAGE/rootfs$(dirname "$lib")"
    cp -L "$lib" "$STAGE/rootfs$lib"
done
echo "nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin" > "$STAGE/rootfs/etc/passwd"
echo "nonroot:x:65532:" > "$STAGE/rootfs/etc/group"
cp deploy/Containerfile.scratch "$STAGE/Containerfile"
"$CONTAINER" build --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" \
    -f "$STAGE/Containerfile" -t "$TAG" "$STAGE"
