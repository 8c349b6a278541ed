# An OSTree sysroot with one deployment, made the way an installed pine host's was:
# init-fs, os-init, pull-local, a ref, then `ostree admin deploy` of that ref.

# deploy_sysroot ROOT REPO COMMIT [KARG...]: sets DEPLOYMENT (its path under ROOT).
deploy_sysroot() {
  local root=$1 repo=$2 commit=$3 arg
  shift 3
  local kargs=()
  for arg in "$@"; do kargs+=("--karg=$arg"); done
  ostree admin init-fs "$root" >/dev/null || die "ostree admin init-fs $root failed"
  ostree admin os-init "$PINE_OS" --sysroot="$root" >/dev/null || die "ostree admin os-init failed"
  ostree --repo="$root/ostree/repo" pull-local "$repo" "$commit" >/dev/null || die "ostree pull-local failed"
  # Deploying the ref (not a bare checksum) gives the deployment origin refspec=pine/x86_64/stable.
  ostree --repo="$root/ostree/repo" refs --create="$PINE_REF" "$commit" || die "cannot create ref $PINE_REF"
  ostree admin deploy --sysroot="$root" --os="$PINE_OS" "${kargs[@]}" "$PINE_REF" >&2 || die "ostree admin deploy failed"
  DEPLOYMENT="$root/ostree/deploy/$PINE_OS/deploy/$commit.0"
  [ -f "$DEPLOYMENT/etc/pine" ] || die "the deployment has no etc/pine: $DEPLOYMENT"
}
