// The host side of image.write, one POSIX sh script (dash, busybox ash): [download and stage] → [a check pass that
// hashes the source and the image without writing] → the write pass (dd, 4 MiB blocks, fsync) that hashes again what
// it writes → a buffer flush and a read-back of exactly the written length. Every pipeline stage's exit status and
// both hashes land in files of a work directory (a tmpfs: the old root may be read-only by then), and the script
// itself refuses to go on when one is wrong. Exit codes below 20: nothing was written; 20 and up: the device was
// (partly) written and its content is undefined. Progress goes to stderr as `@@pine-progress PHASE BYTES` lines.
import { quote } from "../../src/shell.js";
import type { ImageFormat } from "./source.js";

export interface ScriptOptions {
  device: string;
  /** A tmpfs directory for fifos and status files. */
  workDir: string;
  /** A command printing the source on stdout (the host downloads); null: the source is the script's stdin. */
  fetch: string | null;
  /** Download into this directory first (url sources), check it, write from the copy. */
  staging: string | null;
  format: ImageFormat;
  member: string;
  /** Expected sha256 of the source as delivered. */
  sourceSha256: string;
  /** Expected image size and sha256, when known before the host sees the source. */
  size: number | null;
  imageSha256: string | null;
  /** Run a pass that only hashes before the write pass (the host downloads, so nobody has checked the source yet). */
  checkFirst: boolean;
}

/** Exit codes of the script and what they mean for the device. */
export const EXIT = { setup: 10, check: 11, write: 20, readback: 21 } as const;

const READERS = "7>&- 8>&- 9>&-";

/** One pass over the source: SOURCE | tee (sha256) | [tar -xzO] | tee (sha256, count) | SINK, watched for progress. */
function passFunction(o: ScriptOptions, name: string, source: string, sink: string): string[] {
  const tar = o.format === "tar.gz";
  const decode = `{ tar -xzOf - ${quote(o.member)} 2> "$pine_p.decerr"; echo "$?" > "$pine_p.decrc"; cat > /dev/null; } ${READERS}`;
  const chain = tar
    ? [`{ ${source} 2> "$pine_p.srcerr"; echo "$?" > "$pine_p.srcrc"; } ${READERS}`, `tee "$pine_p.src" ${READERS}`, decode, `tee "$pine_p.img" "$pine_p.cnt" ${READERS}`]
    : [`{ ${source} 2> "$pine_p.srcerr"; echo "$?" > "$pine_p.srcrc"; } ${READERS}`, `tee "$pine_p.src" "$pine_p.cnt" ${READERS}`];
  return [
    // Leaves NAME.srcrc, .decrc, .sinkrc, .srcsum, .imgsum, .count in the work directory.
    `pine_pass_${name}() {`,
    `  pine_p=$pine_w/${name}`,
    `  mkfifo "$pine_p.src" "$pine_p.img" "$pine_p.cnt" || pine_fail ${EXIT.setup} "reason=mkfifo"`,
    // Holding a write end of each fifo: a reader never blocks on open even if its writer failed to start.
    `  exec 7<>"$pine_p.src" 8<>"$pine_p.img" 9<>"$pine_p.cnt"`,
    `  sha256sum < "$pine_p.src" > "$pine_p.srcsum" ${READERS} &`,
    `  sha256sum < "$pine_p.img" > "$pine_p.imgsum" ${READERS} &`,
    `  wc -c < "$pine_p.cnt" > "$pine_p.count" ${READERS} &`,
    `  echo 0 > "$pine_p.decrc"`,
    // The sink is a simple command, so $! is its own pid and /proc/$!/io counts its bytes.
    `  ${chain.join(" | ")} | ${sink} ${READERS} &`,
    `  pine_sink=$!`,
    `  pine_watch ${name} "$pine_sink" rchar`,
    `  wait "$pine_sink"; echo "$?" > "$pine_p.sinkrc"`,
    `  exec 7>&- 8>&- 9>&-`,
    `  wait`,
    ...(tar ? [] : [`  cp "$pine_p.srcsum" "$pine_p.imgsum"`]),
    `}`,
  ];
}

/** The whole host script. */
export function imageScript(o: ScriptOptions): string {
  const dev = quote(o.device);
  const fetchOrStdin = o.fetch ?? "cat <&6";
  const lines = [
    "set -u",
    `pine_dev=${dev}`,
    `pine_fail() { pine_code=$1; shift; printf '@@pine-image %s\\n' "$*"; exit "$pine_code"; }`,
    `pine_w=$(mktemp -d ${quote(`${o.workDir}/pine-image.XXXXXX`)}) || pine_fail ${EXIT.setup} "reason=workdir"`,
    `pine_stage=`,
    `trap 'rm -rf "$pine_w" \${pine_stage:+"$pine_stage"}' EXIT`,
    `[ -b "$pine_dev" ] || pine_fail ${EXIT.setup} "reason=not-a-block-device"`,
    `pine_devsize=$(blockdev --getsize64 "$pine_dev") || pine_fail ${EXIT.setup} "reason=device-size"`,
    // Async commands read /dev/null unless told otherwise: keep the controller's stream on fd 6 for them.
    `exec 6<&0`,
    `pine_nap() { sleep 0.2 2>/dev/null || sleep 1; }`,
    // pine_watch PHASE PID FIELD: bytes the process has read (rchar) or written (wchar), about once a second while it runs.
    `pine_watch() {`,
    `  pine_n=0`,
    `  while kill -0 "$2" 2>/dev/null; do`,
    `    pine_b=$(sed -n "s/^$3: //p" "/proc/$2/io" 2>/dev/null) || pine_b=`,
    `    if [ -n "$pine_b" ] && [ $((pine_n % 5)) = 4 ]; then printf '@@pine-progress %s %s\\n' "$1" "$pine_b" >&2; fi`,
    `    pine_n=$((pine_n + 1)); pine_nap`,
    `  done`,
    `}`,
    // The last lines of a stage's stderr, without dd's statistics: dd prints its error first, then three lines of counts.
    `pine_tail() { [ -s "$1" ] && grep -v -e '^[0-9][0-9]*+[0-9][0-9]* records in$' -e '^[0-9][0-9]*+[0-9][0-9]* records out$' -e '^[0-9][0-9]* bytes .*copied' "$1" | tail -n 3 | tr '\\n\\t' '  ' | tr -cd ' -~'; }`,
    `pine_want_size=${o.size ?? ""}`,
    `pine_want_img=${o.imageSha256 ?? ""}`,
    // pine_judge PASS CODE: fail with CODE unless every stage succeeded and both hashes and the size are the expected.
    `pine_judge() {`,
    `  pine_p=$pine_w/$1`,
    `  pine_srcrc=$(cat "$pine_p.srcrc" 2>/dev/null) || pine_srcrc=none`,
    `  pine_decrc=$(cat "$pine_p.decrc" 2>/dev/null) || pine_decrc=none`,
    `  pine_sinkrc=$(cat "$pine_p.sinkrc" 2>/dev/null) || pine_sinkrc=none`,
    `  pine_srcsum=$(cut -c1-64 "$pine_p.srcsum" 2>/dev/null) || pine_srcsum=none`,
    `  pine_imgsum=$(cut -c1-64 "$pine_p.imgsum" 2>/dev/null) || pine_imgsum=none`,
    `  pine_bytes=$(tr -cd 0-9 < "$pine_p.count" 2>/dev/null) || pine_bytes=`,
    `  pine_r="pass=$1 source_rc=$pine_srcrc decode_rc=$pine_decrc sink_rc=$pine_sinkrc source_sha256=$pine_srcsum image_sha256=$pine_imgsum bytes=\${pine_bytes:-none} device_bytes=$pine_devsize"`,
    `  pine_e="source_err=$(pine_tail "$pine_p.srcerr") decode_err=$(pine_tail "$pine_p.decerr") sink_err=$(pine_tail "$pine_p.sinkerr")"`,
    `  [ "$pine_sinkrc" = 0 ] || pine_fail "$2" "$pine_r reason=write $pine_e"`,
    `  [ "$pine_srcrc" = 0 ] || pine_fail "$2" "$pine_r reason=source $pine_e"`,
    `  [ "$pine_srcsum" = ${o.sourceSha256} ] || pine_fail "$2" "$pine_r reason=source-sha256 $pine_e"`,
    `  [ "$pine_decrc" = 0 ] || pine_fail "$2" "$pine_r reason=decode $pine_e"`,
    `  [ -n "$pine_bytes" ] && [ "$pine_bytes" -gt 0 ] || pine_fail "$2" "$pine_r reason=empty $pine_e"`,
    `  [ -z "$pine_want_size" ] || [ "$pine_bytes" = "$pine_want_size" ] || pine_fail "$2" "$pine_r want_bytes=$pine_want_size reason=size"`,
    `  [ -z "$pine_want_img" ] || [ "$pine_imgsum" = "$pine_want_img" ] || pine_fail "$2" "$pine_r want_image_sha256=$pine_want_img reason=image-sha256"`,
    `  [ "$pine_bytes" -le "$pine_devsize" ] || pine_fail "$2" "$pine_r reason=too-big"`,
    `}`,
  ];
  const source = o.staging !== null ? `cat "$pine_stage"` : fetchOrStdin;
  if (o.checkFirst || o.staging !== null) lines.push(...passFunction(o, "check", source, "cat > /dev/null"));
  lines.push(...passFunction(o, "write", source, `dd of="$pine_dev" bs=4194304 iflag=fullblock conv=fsync 2> "$pine_p.sinkerr"`));
  if (o.staging !== null) {
    lines.push(
      `pine_stage=$(mktemp ${quote(`${o.staging}/pine-source.XXXXXX`)}) || pine_fail ${EXIT.setup} "reason=staging"`,
      `echo '@@pine-phase download' >&2`,
      // cat writes the copy, so a full staging directory is named ("No space left on device"); wget -q would only exit 3.
      `{ ${o.fetch ?? "cat <&6"} 2> "$pine_w/fetch.err"; echo "$?" > "$pine_w/fetch.rc"; } | cat > "$pine_stage" 2> "$pine_w/stage.err" &`,
      `pine_f=$!; pine_watch download "$pine_f" wchar; wait "$pine_f" || pine_fail ${EXIT.check} "pass=download reason=staging staging_err=$(pine_tail "$pine_w/stage.err")"`,
      `pine_frc=$(cat "$pine_w/fetch.rc" 2>/dev/null) || pine_frc=none`,
      `[ "$pine_frc" = 0 ] || pine_fail ${EXIT.check} "pass=download source_rc=$pine_frc reason=source source_err=$(pine_tail "$pine_w/fetch.err")"`,
    );
  }
  if (o.checkFirst || o.staging !== null) {
    lines.push(
      `echo '@@pine-phase check' >&2`,
      `pine_pass_check`,
      `pine_judge check ${EXIT.check}`,
      `pine_want_size=$pine_bytes; pine_want_img=$pine_imgsum`,
      `printf '@@pine-size %s\\n' "$pine_bytes" >&2`,
    );
  }
  lines.push(
    `echo '@@pine-phase write' >&2`,
    `pine_pass_write`,
    `pine_judge write ${EXIT.write}`,
    `echo '@@pine-phase readback' >&2`,
    // Drop the device's cached pages so the read-back comes from the device, not from what dd just handed the kernel.
    `blockdev --flushbufs "$pine_dev" 2>/dev/null || true`,
    `dd if="$pine_dev" bs=4194304 iflag=count_bytes count="$pine_bytes" 2> "$pine_w/rb.err" | sha256sum > "$pine_w/rb.sum" &`,
    `pine_watch readback "$!" rchar`,
    `wait`,
    `pine_rb=$(cut -c1-64 "$pine_w/rb.sum" 2>/dev/null) || pine_rb=none`,
    `[ "$pine_rb" = "$pine_imgsum" ] || pine_fail ${EXIT.readback} "$pine_r readback_sha256=$pine_rb reason=readback readback_err=$(pine_tail "$pine_w/rb.err")"`,
    `printf '@@pine-image %s\\n' "$pine_r readback_sha256=$pine_rb reason=ok"`,
  );
  return lines.join("\n");
}
