// known_hosts parsing and matching, checked against fixtures written by ssh-keygen and against `ssh-keygen -F` itself.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  entryMatches,
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
  const out = spawnSync("ssh-keygen", ["-F", name, "-f", join(dir, file)], { encoding: "utf8" }).stdout;
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
