// Uploads and downloads over SFTP, and over a streamed `cat` when the host has no SFTP subsystem.
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fromFile, type SshConnector } from "../../src/connectors/ssh/index.js";
import { startSshd, type Sshd } from "../support/sshd.js";
import { connectorFor, rejection, testHome, type TestHome } from "./helpers.js";

for (const sftp of [true, false]) {
  describe(sftp ? "over SFTP" : "over cat (sshd without an SFTP subsystem)", () => {
    let sshd: Sshd;
    let home: TestHome;
    let ssh: SshConnector;
    let remoteDir: string;

    beforeAll(async () => {
      sshd = await startSshd({ sftp });
      home = testHome([sshd.knownHostsLine]);
      ssh = connectorFor(sshd, home);
      remoteDir = (await ssh.exec("mktemp -d")).stdout.trim();
    });
    afterAll(async () => {
      await ssh?.exec(`rm -rf '${remoteDir}'`);
      await ssh?.close();
      await sshd?.stop();
      home?.remove();
    });

    const mode = async (path: string) => (await ssh.exec(`stat -c %a '${path}'`)).stdout.trim();

    test("a string is content; a Buffer round-trips byte for byte", async () => {
      await ssh.upload("hello\n", `${remoteDir}/s`);
      expect((await ssh.download(`${remoteDir}/s`)).toString()).toBe("hello\n");
      const bytes = randomBytes(300_000);
      await ssh.upload(bytes, `${remoteDir}/b`);
      expect((await ssh.download(`${remoteDir}/b`)).equals(bytes)).toBe(true);
    });

    test("a local file streams via fromFile (20 MB)", async () => {
      const local = join(home.dir, "big");
      const data = randomBytes(20 << 20);
      writeFileSync(local, data);
      const started = performance.now();
      await ssh.upload(fromFile(local), `${remoteDir}/big`);
      const seconds = (performance.now() - started) / 1000;
      const digest = (await ssh.exec(`sha256sum '${remoteDir}/big'`)).stdout.split(" ")[0];
      expect(digest).toBe(createHash("sha256").update(data).digest("hex"));
      console.log(`[measure] upload 20 MB ${sftp ? "SFTP" : "cat"}: ${(20 / seconds).toFixed(0)} MB/s`);
    });

    test("mode is applied, also when replacing a file with a looser mode; without a mode, the existing mode stays", async () => {
      const path = `${remoteDir}/m`;
      await ssh.exec(`echo old > '${path}' && chmod 644 '${path}'`);
      await ssh.upload("secret", path, { mode: 0o600 });
      expect(await mode(path)).toBe("600");
      await ssh.upload("public", path, { mode: 0o755 });
      expect(await mode(path)).toBe("755");
      await ssh.upload("again", path);
      expect(await mode(path)).toBe("755");
      expect((await ssh.download(path)).toString()).toBe("again");
    });

    test("transfers are counted apart from execs", async () => {
      const before = { ...ssh.stats };
      await ssh.upload("x", `${remoteDir}/c`);
      await ssh.download(`${remoteDir}/c`);
      expect(ssh.stats.transfers - before.transfers).toBe(2);
      expect(ssh.stats.execs - before.execs).toBe(0);
    });

    test("a missing file or directory fails clearly", async () => {
      const down = await rejection(ssh.download(`${remoteDir}/nope`));
      expect(down.step).toBe("download");
      expect(down.message).toContain(`${remoteDir}/nope`);
      const up = await rejection(ssh.upload("x", `${remoteDir}/no/such/dir/f`));
      expect(up.step).toBe("upload");
    });

    if (!sftp) {
      test("the fallback really is in use: sshd refused the sftp subsystem", () => {
        expect(sshd.log()).toMatch(/subsystem request for sftp.*failed/i);
      });
    }
  });
}
