// Reads an SSH server's identification line ("SSH-2.0-OpenSSH_9.2p1 ..."): proof its port answers as sshd.
import { connect } from "node:net";

export function readSshBanner(address: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    let received = "";
    const finish = (error: Error | undefined, banner?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(banner ?? "");
    };
    const timer = setTimeout(() => finish(new Error(`no SSH banner from ${address}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      received += chunk;
      const line = received.split(/\r?\n/).find((candidate) => candidate.startsWith("SSH-"));
      if (line) finish(undefined, line);
      else if (received.length > 8_192) finish(new Error(`${address}:${port} answered, but not with an SSH banner`));
    });
    socket.on("error", (error) => finish(error));
    socket.on("close", () => finish(new Error(`${address}:${port} closed the connection before its banner`)));
  });
}
