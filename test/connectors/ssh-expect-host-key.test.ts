// After a reinstall pine trusts exactly the host key it generated: expectHostKey switches a live connector to it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { startSshd, type Sshd } from "../support/sshd.js";

describe("SshConnector.expectHostKey", () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("accepts only the expected key from the next connection on, and records it", async () => {
    const knownHosts = join(sshd.dir, "kh_expect");
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    const connector = new SshConnector({ host: sshd.host, port: sshd.port, user: sshd.user, key: sshd.clientKey, knownHostsPath: knownHosts, agent: false, sshConfigPath: false, retry: { attempts: 1 } });
    try {
      expect((await connector.exec("echo one")).stdout).toBe("one\n");
      const stranger = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
      connector.expectHostKey(stranger);
      await connector.close();
      await expect(connector.exec("echo two")).rejects.toThrow(/not the pinned one/);
      connector.expectHostKey(sshd.hostKeyPub);
      await connector.close();
      expect((await connector.exec("echo three")).stdout).toBe("three\n");
      // already known: nothing appended twice
      expect(readFileSync(knownHosts, "utf8")).toBe(`${sshd.knownHostsLine}\n`);
    } finally {
      await connector.close();
    }
  });
});
