// Planning the files.* operations from given facts: the exact commands, and nothing when the host is already right.
import { describe, expect, it, vi } from "vitest";
import * as files from "../../operations/files/index.js";
import { render } from "../../operations/files/template.js";
import { downloadCommand, fetchCommand } from "../../operations/files/download.js";
import { content } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { sha256 } from "../../facts/files/sha256.js";
import { which } from "../../facts/server/which.js";
import { MAX_EDIT_BYTES } from "../../operations/files/edit.js";
import { fakeHost } from "./support/fake-host.js";
import { contentOf, sha, stat } from "./support/facts.js";

describe("files.replace", () => {
  const path = "/etc/app.conf";
  const facts = (text: string | null) => [[file(path), text === null ? null : stat(path)], [content(path, MAX_EDIT_BYTES), text === null ? null : contentOf(text)]] as const;

  it("rewrites atomically with the replaced text and a diff", async () => {
    const f = fakeHost(facts("port=80\nhost=a\nport=81\n"));
    const r = await files.replace(f.host, { path, match: "^port=\\d+$", replace: "port=8080" });
    expect(r.status).toBe("changed");
    expect(f.connector.commands).toHaveLength(1);
    expect(f.connector.commands[0]!.stdin).toBe("port=8080\nhost=a\nport=8080\n");
    expect(f.commands[0]).toContain(`mv -fT "$pine_tmp" /etc/app.conf`);
    expect(r.diff).toContain("-port=80\n+port=8080");
    expect(r.description).toBe("edit /etc/app.conf: replace 2 matches of /^port=\\d+$/gm");
  });

  it("is unchanged when nothing matches, and uses $1 groups", async () => {
    expect((await files.replace(fakeHost(facts("a=1\n")).host, { path, match: "^b=", replace: "c=" })).status).toBe("unchanged");
    const f = fakeHost(facts("name: old\n"));
    await files.replace(f.host, { path, match: /name: (\w+)/, replace: "name: new-$1" });
    expect(f.connector.commands[0]!.stdin).toBe("name: new-old\n");
  });

  it("fails clearly on a missing file unless required: false, and on a bad regex", async () => {
    await expect(files.replace(fakeHost(facts(null)).host, { path, match: "x", replace: "y" })).rejects.toThrow(/does not exist \(pass required: false/);
    expect((await files.replace(fakeHost(facts(null)).host, { path, match: "x", replace: "y", required: false })).status).toBe("unchanged");
    await expect(files.replace(fakeHost(facts("x")).host, { path, match: "(", replace: "y" })).rejects.toThrow(/files.replace \/etc\/app.conf: match is not a valid regex/);
  });
});

describe("files.absent", () => {
  it("removes a file, refuses a directory without recursive, does nothing when absent", async () => {
    const f = fakeHost([[file("/srv/x"), stat("/srv/x")]]);
    await files.absent(f.host, { path: "/srv/x" });
    expect(f.commands).toEqual(["rm -f -- /srv/x"]);
    const d = fakeHost([[file("/srv/d"), stat("/srv/d", { type: "directory" })]]);
    await expect(files.absent(d.host, { path: "/srv/d" })).rejects.toThrow(/is a directory; pass recursive: true/);
    const d2 = fakeHost([[file("/srv/d"), stat("/srv/d", { type: "directory" })]]);
    await files.absent(d2.host, { path: "/srv/d", recursive: true });
    expect(d2.commands).toEqual(["rm -rf -- /srv/d"]);
    expect((await files.absent(fakeHost([[file("/srv/x"), null]]).host, { path: "/srv/x" })).status).toBe("unchanged");
    await expect(files.absent(fakeHost([]).host, { path: "relative" })).rejects.toThrow(/files.absent: path must be an absolute path/);
  });
});

describe("files.template", () => {
  it("fills {{ data.x }} from the host's data and writes the result", async () => {
    const path = "/etc/motd";
    const f = fakeHost([[file(path), null], [sha256(path), null]], { data: { node: { name: "n1", port: 22 } } });
    const r = await files.template(f.host, { path, template: "host {{ data.node.name }}:{{data.node.port}}\n", mode: "0640" });
    expect(r.status).toBe("changed");
    expect(f.connector.commands[0]!.stdin).toBe("host n1:22\n");
    expect(f.commands[0]).toContain("umask 0137"); // created 0640 directly: no chmod
  });

  it("is unchanged when the rendered text is already there", async () => {
    const path = "/etc/motd";
    const f = fakeHost([[file(path), stat(path)], [sha256(path), sha("hi n1\n")]], { data: { name: "n1" } });
    expect((await files.template(f.host, { path, template: "hi {{ data.name }}\n" })).status).toBe("unchanged");
  });

  it("refuses unknown keys, expressions and non-scalar values", () => {
    expect(() => render("{{ data.nope }}", {}, "t")).toThrow("t: {{ data.nope }}: the host's data has no data.nope");
    expect(() => render("{{ process.exit() }}", {}, "t")).toThrow(/not a placeholder pine understands/);
    expect(() => render("{{ data.a }}", { a: { b: 1 } }, "t")).toThrow(/is an object; only strings/);
    expect(() => render("{{ data.constructor }}", {}, "t")).toThrow(/has no data.constructor/);
    expect(render("{{ data.a }} $(x) `y`", { a: "$(touch /tmp/x)" }, "t")).toBe("$(touch /tmp/x) $(x) `y`");
  });
});

describe("files.download", () => {
  const path = "/opt/bb";
  const url = "https://example.org/busybox";
  const want = sha("the bytes");
  const base = (tools: Partial<Record<"wget" | "curl" | "busybox", string | null>>) =>
    [
      [file(path), null],
      [content(path, 0), null],
      [which("wget"), tools.wget ?? null],
      [which("curl"), tools.curl ?? null],
      [which("busybox"), tools.busybox ?? null],
    ] as const;

  it("downloads with the first tool the host has, checks sha256 on the host, renames", async () => {
    const f = fakeHost(base({ curl: "/usr/bin/curl", busybox: "/bin/busybox" }));
    const r = await files.download(f.host, { url, path, sha256: want, mode: 0o755 });
    expect(r.status).toBe("changed");
    expect(f.commands).toEqual([downloadCommand("curl", url, path, want, { mode: 0o755 })]);
    expect(f.commands[0]).toBe(
      [
        "set -e",
        `pine_tmp=$(mktemp /opt/.pine.XXXXXXXX)`,
        `trap 'rm -f "$pine_tmp"' EXIT`,
        `pine_rc=$( { { curl -fsSL -k -o - https://example.org/busybox || echo "$?" >&3; } | cat > "$pine_tmp"; } 3>&1 ) || { printf 'writing the download to %s failed (the error above); %s left unchanged\\n' "$pine_tmp" /opt/bb >&2; exit 1; }`,
        `pine_size=$(wc -c < "$pine_tmp" | tr -cd 0-9)`,
        `if [ -n "$pine_rc" ]; then printf 'downloading %s with curl failed (exit %s) after %s bytes; %s left unchanged\\n' https://example.org/busybox "$pine_rc" "$pine_size" /opt/bb >&2; exit 1; fi`,
        `pine_sum=$(sha256sum < "$pine_tmp" | cut -c1-64)`,
        `if [ "$pine_sum" != ${want} ]; then printf 'sha256 mismatch for %s: got %s, expected %s; %s left unchanged\\n' https://example.org/busybox "$pine_sum" ${want} /opt/bb >&2; exit 1; fi`,
        `chmod 0644 "$pine_tmp"`,
        `chmod 0755 "$pine_tmp"`,
        `mv -fT "$pine_tmp" /opt/bb`,
        "trap - EXIT",
      ].join("\n"),
    );
  });

  it("with the size known, checks the byte count before the sha256; refuses a size that is not a byte count", async () => {
    const f = fakeHost(base({ wget: "/usr/bin/wget" }));
    await files.download(f.host, { url, path, sha256: want, size: 4096 });
    expect(f.commands).toEqual([downloadCommand("wget", url, path, want, {}, 4096)]);
    const lines = f.commands[0]!.split("\n");
    const sizeCheck = lines.findIndex((l) => l.startsWith(`if [ "$pine_size" -ne 4096 ]; then printf 'received %s of 4096 bytes from %s: the download was cut short`));
    expect(sizeCheck).toBeGreaterThan(0);
    expect(sizeCheck).toBeLessThan(lines.findIndex((l) => l.startsWith("pine_sum=")));
    await expect(files.download(fakeHost([]).host, { url, path, sha256: want, size: -1 })).rejects.toThrow(/size must be the file's size in bytes/);
    await expect(files.download(fakeHost([]).host, { url, path, sha256: want, size: 1.5 })).rejects.toThrow(/size must be/);
  });

  it("picks wget, then curl, then busybox wget", () => {
    expect(fetchCommand("wget", url, "F")).toBe(`wget -q --no-check-certificate -O F ${url}`);
    expect(fetchCommand("busybox", url, "F")).toBe(`busybox wget -q --no-check-certificate -O F ${url}`);
  });

  it("uses busybox when it is all there is; fails clearly with no tool", async () => {
    const f = fakeHost(base({ busybox: "/bin/busybox" }));
    await files.download(f.host, { url, path, sha256: want });
    expect(f.commands[0]).toContain("busybox wget -q --no-check-certificate");
    await expect(files.download(fakeHost(base({})).host, { url, path, sha256: want })).rejects.toThrow(/none of wget, curl or busybox/);
  });

  it("is unchanged when the file already has the sha256; requires a sha256", async () => {
    const f = fakeHost([[file(path), stat(path)], [content(path, 0), { sha256: want, size: 9, bytes: null }], [which("wget"), "/usr/bin/wget"], [which("curl"), null], [which("busybox"), null]]);
    expect((await files.download(f.host, { url, path, sha256: want.toUpperCase() })).status).toBe("unchanged");
    await expect(files.download(fakeHost([]).host, { url, path, sha256: "" })).rejects.toThrow(/files.download \/opt\/bb: sha256 is required/);
    await expect(files.download(fakeHost([]).host, { url: "file:///etc/passwd", path, sha256: want })).rejects.toThrow(/url must be/);
  });
});

describe("files.get", () => {
  it("copies to the controller when the local copy differs, not when it matches", async () => {
    const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "pine-get-"));
    try {
      const dest = join(dir, "sub", "hosts");
      const f = fakeHost([[content("/etc/hosts", 0), { ...contentOf("127.0.0.1 x\n"), bytes: null }]]);
      f.connector.files.set("/etc/hosts", Buffer.from("127.0.0.1 x\n"));
      expect((await files.get(f.host, { path: "/etc/hosts", dest })).status).toBe("changed");
      expect(readFileSync(dest, "utf8")).toBe("127.0.0.1 x\n");
      const g = fakeHost([[content("/etc/hosts", 0), { ...contentOf("127.0.0.1 x\n"), bytes: null }]]);
      expect((await files.get(g.host, { path: "/etc/hosts", dest })).status).toBe("unchanged");
      expect(g.connector.downloads).toEqual([]);
      writeFileSync(dest, "old");
      const h = fakeHost([[content("/etc/hosts", 0), { ...contentOf("new"), bytes: null }]]);
      h.connector.files.set("/etc/hosts", Buffer.from("changed meanwhile"));
      await expect(files.get(h.host, { path: "/etc/hosts", dest })).rejects.toThrow(/changed while it was copied/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hosts fetching into one directory in the same millisecond each get their own file", async () => {
    const { mkdtempSync, readFileSync, readdirSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "pine-get-"));
    const now = vi.spyOn(Date, "now").mockReturnValue(1_800_000_000_000);
    try {
      const hosts = ["web1", "web2", "web3", "web4"].map((name) => {
        const f = fakeHost([[content("/etc/hostname", 0), { ...contentOf(`${name}\n`), bytes: null }]]);
        f.connector.files.set("/etc/hostname", Buffer.from(`${name}\n`));
        return { name, f };
      });
      const results = await Promise.all(hosts.map(({ name, f }) => files.get(f.host, { path: "/etc/hostname", dest: join(dir, name) })));
      expect(results.map((r) => r.status)).toEqual(["changed", "changed", "changed", "changed"]);
      for (const { name } of hosts) expect(readFileSync(join(dir, name), "utf8")).toBe(`${name}\n`);
      expect(readdirSync(dir).sort()).toEqual(["web1", "web2", "web3", "web4"]);
    } finally {
      now.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("files.put still plans through the shared writer", () => {
  it("only chmods when the content is right", async () => {
    const f = fakeHost([[file("/a"), stat("/a", { mode: 0o600 })], [sha256("/a"), sha("x")]]);
    await files.put(f.host, { path: "/a", content: "x", mode: "644" });
    expect(f.commands).toEqual(["chmod 0644 /a"]);
  });
});
