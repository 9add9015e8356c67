# Sourced by scripts/setup-docker-modern after apt-sources.sh (derive_mirror,
# derive_keyring, busybox_rootfs_tar):
# a true two-platform base image, linux/amd64 AND linux/386, without a registry.
#
# A `docker import`ed image is single-arch: a `--platform linux/amd64,linux/386`
# build from it "succeeds" with the amd64 binary in the 386 image. So this takes
# Debian's busybox-static for both architectures (the amd64 one is already in the
# tree; the i386 one comes through a second private apt directory of its own,
# bookworm only, i386 only: ~9 MB of lists, a 1 MB .deb, a few seconds), makes one
# rootfs tar per architecture, and builds `FROM scratch` + `ADD
# rootfs-${TARGETARCH}.tar /` once for both platforms into the containerd image
# store. The kernel runs i386 binaries natively: no emulator is needed.
# Idempotent: when the image answers for both platforms, nothing is done.

PLATFORM_BASE_PLATFORMS="linux/amd64,linux/386"

# platform_base_ok DOCKER_CMD IMAGE: the image exists for both platforms.
platform_base_ok() {
    local docker_cmd="$1" image="$2" p
    for p in ${PLATFORM_BASE_PLATFORMS//,/ }; do
        "$docker_cmd" image inspect --platform "$p" "$image" >/dev/null 2>&1 || return 1
    done
}

# i386_busybox DIR VERSION OUT: Debian's i386 busybox-static binary, downloaded
# through the private apt directory DIR/apt-i386 (mirror and keyring derived at
# run time from the machine's own apt sources, never written down).
i386_busybox() {
    local dir="$1" version="$2" out="$3" apt="$1/apt-i386" mirror keyring work log
    local -a opts
    mirror="$(derive_mirror bookworm)" || { echo "no 'deb' source for bookworm in the apt configuration" >&2; return 1; }
    keyring="$(derive_keyring)"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d" "$apt/preferences.d"
    {
        echo "# Written by kitprof scripts/platform-base.sh (private apt, not the system's)"
        echo "Types: deb"
        echo "URIs: $mirror"
        echo "Suites: bookworm"
        echo "Components: main"
        echo "Architectures: i386"
        [ -z "$keyring" ] || echo "Signed-By: $keyring"
    } >"$apt/sources.list.d/kitprof-i386.sources"
    opts=(
        -o Dir::State::Lists="$apt/lists"
        -o Dir::Cache="$apt/cache"
        -o Dir::Cache::pkgcache="$apt/cache/pkgcache.bin"
        -o Dir::Cache::srcpkgcache="$apt/cache/srcpkgcache.bin"
        -o Dir::Etc::SourceList=/dev/null
        -o Dir::Etc::SourceParts="$apt/sources.list.d"
        -o Dir::Etc::Preferences=/dev/null
        -o Dir::Etc::PreferencesParts="$apt/preferences.d"
        -o APT::Sandbox::User=root
        -o APT::Architectures::=i386
    )
    log="$(mktemp -t kitprof-apt.XXXXXX)"
    work="$(mktemp -d -t kitprof-debs.XXXXXX)"
    if ! { apt-get "${opts[@]}" update && (cd "$work" && apt-get "${opts[@]}" download "busybox-static:i386=$version"); } >"$log" 2>&1; then
        cat "$log" >&2
        rm -rf "$work" "$log"
        return 1
    fi
    dpkg-deb -x "$work"/busybox-static_*_i386.deb "$work/tree"
    cp "$work/tree/bin/busybox" "$out"
    rm -rf "$work" "$log"
}

# create_platform_base_image DOCKER_CMD DIR TREE BUSYBOX_VERSION IMAGE
create_platform_base_image() {
    local docker_cmd="$1" dir="$2" tree="$3" version="$4" image="$5" ctx
    platform_base_ok "$docker_cmd" "$image" && return 0
    ctx="$(mktemp -d -t kitprof-platform-base.XXXXXX)"
    i386_busybox "$dir" "$version" "$ctx/busybox-i386" || { rm -rf "$ctx"; return 1; }
    busybox_rootfs_tar "$tree/bin/busybox" "$ctx/rootfs-amd64.tar"
    busybox_rootfs_tar "$ctx/busybox-i386" "$ctx/rootfs-386.tar"
    rm -f "$ctx/busybox-i386"
    cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
ARG TARGETARCH
ADD rootfs-${TARGETARCH}.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
EOF
    "$docker_cmd" buildx build --quiet --platform "$PLATFORM_BASE_PLATFORMS" -t "$image" "$ctx" >/dev/null \
        || { rm -rf "$ctx"; return 1; }
    rm -rf "$ctx"
    platform_base_ok "$docker_cmd" "$image"
}
