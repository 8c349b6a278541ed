// The file operations through the shell session on every kind of lab host: a plain host (this machine's bash/dash
// and GNU tools), a Debian host (its own root under systemd-nspawn) and a busybox-only host (busybox ash and applets,
// like pine OS). Each run twice: the first changes everything, the second nothing; the result is checked on the
// host's root directory from this machine (another path than pine's own facts). One exec channel per host per run.
import { chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SshConnector } from "../../src/connectors/ssh/index.js";
import { HostContext } from "../../src/host.js";
import type { LabHostKind } from "../../src/lab/index.js";
import { files } from "../../operations/index.js";
import { labSkipReason, useLab } from "../support/lab.js";

const KINDS: { kind: LabHostKind; name: string }[] = [
  { kind: "plain", name: "okplai" },
  { kind: "debian", name: "okdeb" },
  { kind: "busybox", name: "okbb" },
];

for (const { kind, name } of KINDS) {
  const skip = await labSkipReason(kind);
  describe.skipIf(skip !== undefined)(`file operations on a ${kind} host`, () => {
    const lab = useLab({ name, hosts: 1, kind });

    async function deploy(dir: string): Promise<{ statuses: string[]; channels: number }> {
      const h = lab.state.hosts[0]!;
      const connector = new SshConnector({ host: h.address, user: "root", key: lab.state.key, knownHostsPath: lab.state.knownHosts, agent: false, sshConfigPath: false });
      const host = new HostContext({ name: h.name, address: h.address, groups: [], data: {} }, connector, { dry: false, emit: () => undefined });
      try {
        const results = [
          await files.directory(host, { path: dir, mode: "0750" }),
          await files.directory(host, { path: `${dir}/a/b`, mode: "2755" }),
          await files.put(host, { path: `${dir}/conf`, content: "-n leading dash, 100% \\ 'quotes'\n", mode: "0640" }),
          await files.put(host, { path: `${dir}/bin`, content: Buffer.from([0, 1, 255, 10, 37]), mode: "0755" }),
          await files.put(host, { path: `${dir}/owned`, content: "new\n" }),
          await files.line(host, { path: `${dir}/lines`, line: "a=1" }),
          await files.line(host, { path: `${dir}/lines`, line: "b=2" }),
          await files.link(host, { path: `${dir}/current`, target: `${dir}/a` }),
          await files.put(host, { path: `${dir}/empty`, content: "", mode: "0600" }),
        ];
        return { statuses: results.map((r) => r.status), channels: connector.stats.channels };
      } finally {
        await connector.close();
      }
    }

    it(
      "first run changes all, second none; modes, owner, bytes and link as asked; one channel per run",
      async () => {
        const h = lab.state.hosts[0]!;
        // Plain hosts share this machine's files; the others have their own root, seen here under h.root.
        const root = h.root ?? "/";
        const dir = `/root/pine-kinds-${name}`;
        const local = (p: string) => join(root, p);
        // An existing file owned by another user keeps its owner when rewritten.
        rmSync(local(dir), { recursive: true, force: true });
        mkdirSync(local(dir), { recursive: true });
        writeFileSync(local(`${dir}/owned`), "old\n", { mode: 0o604 });
        chownSync(local(`${dir}/owned`), 65534, 65534);
        try {
          const first = await deploy(dir);
          expect(first.statuses).toEqual(["changed", "changed", "changed", "changed", "changed", "changed", "changed", "changed", "changed"]);
          expect(first.channels).toBe(1);
          const mode = (p: string) => (lstatSync(local(p)).mode & 0o7777).toString(8);
          expect(mode(dir)).toBe("750");
          expect(mode(`${dir}/a/b`)).toBe("2755");
          expect(mode(`${dir}/conf`)).toBe("640");
          expect(mode(`${dir}/bin`)).toBe("755");
          expect(mode(`${dir}/empty`)).toBe("600");
          expect(mode(`${dir}/owned`)).toBe("604");
          expect([statSync(local(`${dir}/owned`)).uid, statSync(local(`${dir}/owned`)).gid]).toEqual([65534, 65534]);
          expect(readFileSync(local(`${dir}/conf`), "utf8")).toBe("-n leading dash, 100% \\ 'quotes'\n");
          expect([...readFileSync(local(`${dir}/bin`))]).toEqual([0, 1, 255, 10, 37]);
          expect(readFileSync(local(`${dir}/owned`), "utf8")).toBe("new\n");
          expect(readFileSync(local(`${dir}/lines`), "utf8")).toBe("a=1\nb=2\n");
          expect(readFileSync(local(`${dir}/empty`)).length).toBe(0);
          expect(readlinkSync(local(`${dir}/current`))).toBe(`${dir}/a`);
          expect(readdirSync(local(dir)).filter((f) => f.startsWith(".pine."))).toEqual([]);
          const second = await deploy(dir);
          expect(second.statuses.every((s) => s === "unchanged"), second.statuses.join(",")).toBe(true);
          expect(second.channels).toBe(1);
        } finally {
          rmSync(local(dir), { recursive: true, force: true });
        }
      },
      kind === "plain" ? 30_000 : 120_000,
    );
  });
}
