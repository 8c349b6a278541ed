// upgrade.fetch: the static delta is on the host and verified (size and sha256) before ostree sees a byte of it:
// streamed by the controller over the SSH channel, or downloaded by the host itself. Unchanged when it is already there.
// The same verified fetch as install's; on pine OS the busybox applets it needs (wget, sha256sum, wc) are in /bin.
import { defineVerifiedFetch } from "../install/stage.js";

export const PINE_BIN = "/bin";

export const fetchDelta = defineVerifiedFetch("upgrade.fetch", "applying: sending ");
