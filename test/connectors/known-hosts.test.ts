// known_hosts parsing and matching, checked against fixtures written by ssh-keygen and against `ssh-keygen -F` itself.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  entryMatches,
  KnownHostsIndex,
  fingerprint,
  formatKnownHostsLine,
  judgeHostKey,
  knownHostsName,
  parseKnownHosts,
  parsePublicKey,
  recordedKeyTypes,
} from "../../src/connectors/ssh/known-hosts.js";

const dir = join(import.meta.dirname, "fixtures", "known_hosts");
const fixture = (name: string) => readFileSync(join(dir, name), "utf8");
const key = (name: string) => parsePublicKey(fixture(`key-${name}.pub`));

/** Lines `ssh-keygen -F` reports for a name: OpenSSH's own answer. */
function opensshMatches(file: string, name: string): number[] {
  // Exit status 1 just means "not found".
  const out = spawnSync("ssh-keygen", ["-F", name, "-f", file.startsWith("/") ? file : join(dir, file)], { encoding: "utf8" }).stdout;
  return [...out.matchAll(/found: line (\d+)/g)].map((m) => Number(m[1]));
}

describe("parseKnownHosts", () => {
  test("skips comments, blank lines and unknown markers; reads markers, patterns and keys", () => {
    const entries = parseKnownHosts(fixture("plain"));
    expect(entries.map((e) => [e.line, e.marker ?? "", e.hosts, e.keyType])).toEqual([
      [3, "", "web1,web1.example.com,10.0.0.1", "ssh-ed25519"],
      [4, "", "[web2.example.com]:2222", "ecdsa-sha2-nistp256"],
      [5, "", "*.lab.example,!bad.lab.example", "ssh-ed25519"],
      [6, "", "10.0.0.?", "ecdsa-sha2-nistp256"],
      [7, "cert-authority", "*.corp.example", "ssh-ed25519"],
      [8, "revoked", "*", "ssh-ed25519"],
    ]);
    expect(entries[0]!.key.equals(key("a"))).toBe(true);
  });

  test("ignores malformed lines instead of failing the whole file", () => {
    const text = `garbage\nhost ssh-ed25519 notbase64!!\nhost 1024 35 12345\n${formatKnownHostsLine("ok", 22, key("a"))}\n`;
    expect(parseKnownHosts(text).map((e) => e.hosts)).toEqual(["ok"]);
  });
});

describe("host matching agrees with ssh-keygen -F", () => {
  const cases: Array<[string, number]> = [
    ["web1", 22],
    ["WEB1.example.com", 22],
    ["10.0.0.1", 22],
    ["10.0.0.7", 22],
    ["10.0.0.17", 22],
    ["x.lab.example", 22],
    ["bad.lab.example", 22],
    ["web2.example.com", 2222],
    ["web2.example.com", 22],
    ["web1", 2222],
    ["a.corp.example", 22],
    ["nothing", 22],
  ];
  for (const file of ["plain", "hashed"]) {
    test.each(cases)(`${file}: %s port %i`, (host, port) => {
      const ours = parseKnownHosts(fixture(file))
        .filter((e) => entryMatches(e.hosts, host, port))
        .map((e) => e.line);
      expect(ours).toEqual(opensshMatches(file, knownHostsName(host, port)));
    });
  }
});

describe("judgeHostKey", () => {
  const plain = parseKnownHosts(fixture("plain"));
  const hashed = parseKnownHosts(fixture("hashed"));

  test("known key, plain and hashed, port 22 and [host]:port", () => {
    expect(judgeHostKey(plain, "web1", 22, key("a")).status).toBe("known");
    expect(judgeHostKey(hashed, "web1", 22, key("a")).status).toBe("known");
    expect(judgeHostKey(hashed, "web2.example.com", 2222, key("b")).status).toBe("known");
  });

  test("a different key for a known host is a mismatch listing what was expected", () => {
    const verdict = judgeHostKey(hashed, "web1", 22, key("b"));
    expect(verdict.status).toBe("mismatch");
    if (verdict.status === "mismatch") expect(verdict.expected.map((e) => fingerprint(e.key))).toEqual([fingerprint(key("a"))]);
  });

  test("@revoked refuses the key even where a plain line would accept it", () => {
    expect(judgeHostKey(plain, "x.lab.example", 22, key("c")).status).toBe("revoked");
  });

  test("negated pattern: the host is unknown, not matched", () => {
    expect(judgeHostKey(plain, "bad.lab.example", 22, key("a"))).toEqual({ status: "unknown", certAuthority: false });
  });

  test("a host only covered by @cert-authority is unknown, flagged for the message", () => {
    expect(judgeHostKey(plain, "a.corp.example", 22, key("a"))).toEqual({ status: "unknown", certAuthority: true });
  });

  test("port matters: [web2.example.com]:2222 says nothing about port 22", () => {
    expect(judgeHostKey(plain, "web2.example.com", 22, key("b")).status).toBe("unknown");
  });

  test("recorded key types steer host key algorithm negotiation", () => {
    expect(recordedKeyTypes(plain, "10.0.0.1", 22)).toEqual(["ssh-ed25519", "ecdsa-sha2-nistp256"]);
  });
});

describe("fingerprint and formatting", () => {
  test("fingerprint equals ssh-keygen -l", () => {
    const out = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", join(dir, "key-a.pub")], { encoding: "utf8" });
    expect(out.split(" ")[1]).toBe(fingerprint(key("a")));
  });

  test("formatted lines round-trip through the parser and ssh-keygen", () => {
    const line = formatKnownHostsLine("127.0.0.1", 2200, key("b"));
    expect(line.startsWith("[127.0.0.1]:2200 ecdsa-sha2-nistp256 AAAA")).toBe(true);
    expect(judgeHostKey(parseKnownHosts(line), "127.0.0.1", 2200, key("b")).status).toBe("known");
  });
});

describe("KnownHostsIndex gives the same answers as scanning every line", () => {
  const work = mkdtempSync(join(tmpdir(), "pine-khi-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const pub = (name: string) => fixture(`key-${name}.pub`).trim().split(/\s+/).slice(0, 2).join(" ");
  // Both fixtures (plain: exact names, [host]:port, wildcard + negation, ?, @cert-authority, @revoked * and an
  // unknown marker; hashed: lines written by ssh-keygen -H) in one file, then lines that stress the index: a second
  // key for a host in another case, a @revoked exact name, a name listed twice on one line, a negated exact name,
  // a plain and a wildcard line for the same [host]:port, and a hashed line whose salt repeats.
  const mixed = [
    fixture("plain").trimEnd(),
    fixture("hashed").trimEnd(),
    `WEB1 ${pub("b")}`,
    `@revoked web1.example.com ${pub("c")}`,
    `web4,web4,WEB4 ${pub("a")}`,
    `!web5,web5 ${pub("a")}`,
    `web6,!web5 ${pub("b")}`,
    `[10.0.0.1]:2200 ${pub("b")}`,
    `[10.0.0.?]:2200 ${pub("a")}`,
    `${fixture("hashed").split("\n")[0]!.split(" ")[0]} ${pub("b")}`,
    `|1|bad-token ${pub("a")}`,
    "",
  ].join("\n");
  const mixedPath = join(work, "mixed");
  writeFileSync(mixedPath, mixed);
  const entries = parseKnownHosts(mixed);
  const index = new KnownHostsIndex(entries);
  const hosts: Array<[string, number]> = [
    ["web1", 22],
    ["Web1", 22],
    ["web1.example.com", 22],
    ["10.0.0.1", 22],
    ["10.0.0.1", 2200],
    ["10.0.0.7", 2200],
    ["10.0.0.17", 22],
    ["x.lab.example", 22],
    ["bad.lab.example", 22],
    ["web2.example.com", 2222],
    ["web2.example.com", 22],
    ["web1", 2222],
    ["a.corp.example", 22],
    ["web4", 22],
    ["web5", 22],
    ["web6", 22],
    ["nothing", 22],
  ];

  test.each(hosts)("%s port %i: same lines as entryMatches and as ssh-keygen -F", (host, port) => {
    const scanned = entries.filter((e) => entryMatches(e.hosts, host, port));
    expect(index.matching(host, port)).toEqual(scanned);
    // asked again (a connection asks twice): the same answer
    expect(index.matching(host, port)).toEqual(scanned);
    // ssh-keygen -F hashes the name as given; ssh (and pine) lower-case it first
    if (host === host.toLowerCase()) expect(scanned.map((e) => e.line)).toEqual(opensshMatches(mixedPath, knownHostsName(host, port)));
  });

  test.each(hosts)("%s port %i: same verdicts and key types from the index as from the list", (host, port) => {
    for (const name of ["a", "b", "c"]) {
      expect(judgeHostKey(index, host, port, key(name))).toEqual(judgeHostKey(entries, host, port, key(name)));
    }
    expect(recordedKeyTypes(index, host, port)).toEqual(recordedKeyTypes(entries, host, port));
  });

  test("the answers the mixed file must give", () => {
    // web1: key a (plain and hashed lines), key b (WEB1 line); key c revoked by `@revoked *`
    expect(judgeHostKey(index, "web1", 22, key("a")).status).toBe("known");
    expect(judgeHostKey(index, "web1", 22, key("b")).status).toBe("known");
    expect(judgeHostKey(index, "web1", 22, key("c")).status).toBe("revoked");
    expect(recordedKeyTypes(index, "web1", 22)).toEqual(["ssh-ed25519", "ecdsa-sha2-nistp256"]);
    // web4 is listed three times on one line: one entry (besides `@revoked *`)
    expect(index.matching("web4", 22).filter((e) => e.marker === undefined)).toHaveLength(1);
    // web5: its own line negates it, and web6's line (which names it negated only) does not cover it
    expect(index.matching("web5", 22).filter((e) => e.marker === undefined)).toEqual([]);
    expect(judgeHostKey(index, "web6", 22, key("b")).status).toBe("known");
    // [10.0.0.1]:2200 has a plain line (key b) and a wildcard line (key a): both, in file order, after `@revoked *`
    expect(judgeHostKey(index, "10.0.0.1", 2200, key("a")).status).toBe("known");
    expect(index.matching("10.0.0.1", 2200).map((e) => `${e.marker ?? ""} ${e.keyType}`)).toEqual(["revoked ssh-ed25519", " ecdsa-sha2-nistp256", " ssh-ed25519"]);
    expect(judgeHostKey(index, "a.corp.example", 22, key("a"))).toEqual({ status: "unknown", certAuthority: true });
  });
});
