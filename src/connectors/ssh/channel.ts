// Opening exec channels, waiting out a server's session limit instead of failing with "open failed".
import type { ClientChannel } from "ssh2";
import type { ChannelContext } from "./exec.js";

const OPEN_RETRIES = 8;

/**
 * sshd answers "open failed" when MaxSessions are in use — e.g. sessions we closed whose commands have not exited yet.
 * That is a wait, not an error: retry with back-off (about 10 s in all) before giving up.
 */
export function openExecChannel(
  ctx: ChannelContext,
  command: string,
  done: (error: Error | undefined, channel?: ClientChannel) => void,
  attempt = 1,
): void {
  if (ctx.lostReason()) return done(ctx.lostReason() ?? undefined);
  const opened = (error: Error | undefined, channel?: ClientChannel): void => {
    if (!error) return done(undefined, channel);
    if (/open failed/i.test(error.message) && attempt < OPEN_RETRIES && !ctx.lostReason()) {
      setTimeout(() => openExecChannel(ctx, command, done, attempt + 1), Math.min(2_000, 50 * 2 ** attempt));
      return;
    }
    done(error);
  };
  try {
    ctx.client.exec(command, (error, channel) => opened(error, channel));
  } catch (error) {
    // ssh2 throws "Not connected" synchronously when the socket is already gone.
    done(error as Error);
  }
}
