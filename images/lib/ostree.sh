# Stage "ostree": an archive repo with commits v1 and v2 of the pine OS tree on pine/x86_64/stable,
# and the two static deltas pine ships: delta.tar (v1 -> v2) and delta_base.tar (empty -> v1).

# build_ostree DIR: fills DIR and sets COMMIT_V1, COMMIT_V2.
build_ostree() {
  local dir=$1 tree deb repo
  tree="$WORK_ROOT/tree"
  repo="$dir/repo"
  deb=$(fetch_kernel_deb "$KERNEL_PACKAGE" "$KERNEL_PACKAGE_VERSION" "$OUT/downloads")
  say "ostree: building the pine OS tree (busybox, sshd, ostree, kernel $(basename "$deb"))"
  build_tree "$tree" "$deb"

  ostree init --repo="$repo" --mode=archive >/dev/null
  local version
  for version in v1 v2; do
    set_version "$tree" "$version"
    # v2 also changes a file outside /etc, so the delta carries a /usr change as upgrades do.
    [ "$version" = v2 ] && printf 'pine OS v2 test release\n' > "$tree/usr/share/pine/release-notes"
    ostree commit --repo="$repo" --branch="$PINE_REF" --subject="$version" \
      --add-metadata-string=version="$version" --owner-uid=0 --owner-gid=0 --tree=dir="$tree" >/dev/null \
      || die "ostree commit $version failed"
    say "ostree: committed $version as $(ostree rev-parse --repo="$repo" "$PINE_REF")"
  done
  COMMIT_V2=$(ostree rev-parse --repo="$repo" "$PINE_REF")
  COMMIT_V1=$(ostree rev-parse --repo="$repo" "$PINE_REF^")

  # --inline with --filename: one self-contained file (apply-offline takes it alone);
  # --min-fallback-size=0: no object is left out for a separate HTTP fetch.
  say "ostree: static deltas v1->v2 (delta.tar) and empty->v1 (delta_base.tar, lzma: the slow step)"
  quietly ostree static-delta generate --repo="$repo" --from="$COMMIT_V1" --to="$COMMIT_V2" \
    --inline --min-fallback-size=0 --filename="$dir/delta.tar"
  quietly ostree static-delta generate --repo="$repo" --empty --to="$COMMIT_V1" \
    --inline --min-fallback-size=0 --filename="$dir/delta_base.tar"
  ostree fsck --repo="$repo" >/dev/null 2>&1 || die "ostree fsck failed on the new repo"
  rm -rf "$tree"
}
