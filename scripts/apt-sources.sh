# Sourced by scripts/setup-docker and scripts/setup-docker-modern: the machine's
# own Debian mirror and keyring (never written into the repo), and the tiny base
# image both daemons build from.

# First URI of an enabled `deb` source for suite $1, from the machine's own apt
# configuration (deb822 *.sources first, then one-line *.list files).
derive_mirror() {
    local suite="$1" f uri
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        case "$f" in */kitprof-*) continue ;; esac  # ours, not the machine's
        uri="$(awk -v suite="$suite" '
            function flush() {
                if (!found && enabled && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "") {
                    split(uris, u, " "); print u[1]; found = 1
                }
                types = ""; suites = ""; uris = ""; enabled = 1
            }
            BEGIN { enabled = 1 }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]*#/ { next }
            tolower($1) == "types:"   { $1 = ""; types = $0 }
            tolower($1) == "uris:"    { $1 = ""; uris = $0; sub(/^ +/, "", uris) }
            tolower($1) == "suites:"  { $1 = ""; suites = $0 }
            tolower($1) == "enabled:" { if (tolower($2) == "no") enabled = 0 }
            END { flush() }' "$f")"
        if [ -n "$uri" ]; then echo "$uri"; return 0; fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -e "$f" ] || continue
        uri="$(awk -v suite="$suite" '
            $1 == "deb" {
                i = 2
                if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == suite) { print $i; exit }
            }' "$f")"
        if [ -n "$uri" ]; then echo "$uri"; return 0; fi
    done
    return 1
}

# Signed-By of the stanza naming that mirror (deb822), if any.
derive_keyring() {
    local f kr
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -e "$f" ] || continue
        case "$f" in */kitprof-*) continue ;; esac  # ours, not the machine's
        kr="$(awk 'tolower($1) == "signed-by:" && $2 ~ /^\// { print $2; exit }' "$f")"
        if [ -n "$kr" ] && [ -r "$kr" ]; then echo "$kr"; return 0; fi
    done
    if [ -r /usr/share/keyrings/debian-archive-keyring.gpg ]; then
        echo /usr/share/keyrings/debian-archive-keyring.gpg
    fi
}

# busybox_rootfs_tar BUSYBOX OUT: a rootfs of a static busybox (and its applet
# links) in an otherwise empty tree, as a reproducible tar.
busybox_rootfs_tar() {
    local busybox="$1" out="$2" rootfs a
    rootfs="$(mktemp -d -t kitprof-rootfs.XXXXXX)"
    mkdir -p "$rootfs"/{bin,etc,root,tmp,usr/bin,var/tmp,proc,sys,dev}
    chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
    cp "$busybox" "$rootfs/bin/busybox"
    for a in $("$rootfs/bin/busybox" --list); do
        [ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"
    done
    ln -sf ../../bin/env "$rootfs/usr/bin/env"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
    tar -C "$rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out" .
    rm -rf "$rootfs"
}

# import_busybox_image BUSYBOX IMAGE DOCKER_CMD: a registry-free base image made of
# that rootfs (single-arch: see platform-base.sh for a two-platform one).
import_busybox_image() {
    local busybox="$1" image="$2" docker_cmd="$3" tarball
    tarball="$(mktemp -t kitprof-rootfs.XXXXXX.tar)"
    busybox_rootfs_tar "$busybox" "$tarball"
    "$docker_cmd" import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/sh"]' \
        --message "kitprof base image: Debian busybox-static" \
        - "$image" <"$tarball" >/dev/null
    rm -f "$tarball"
}
