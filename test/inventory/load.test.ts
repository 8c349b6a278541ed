// Loading and resolving: defaults, precedence, deep merge, CLI overrides, paths, secrets, hostile files.
import { existsSync, openSync, closeSync, ftruncateSync, writeFileSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { INVENTORY_MAX_BYTES, loadInventory, type ResolvedHost } from "../../src/inventory/index.js";
import { FIXTURES, fixture, tempDir, usageError } from "./fixtures.js";

function host(hosts: ResolvedHost[], name: string): ResolvedHost {
  const found = hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name}`);
  return found;
}

describe("defaults", () => {
  it("fills what the file leaves out like ssh would", () => {
    const inv = loadInventory(fixture("good-paths.yaml"));
    const web1 = host(inv.hosts, "web1");
    expect(web1).toMatchObject({
      address: "web1", port: 22, user: userInfo().username, hostKeyCheck: "strict",
      sudo: false, connector: "ssh", connectTimeout: 10, groups: [], data: {},
    });
    expect(web1.explicit.sort()).toEqual(["key", "knownHosts"]);
    expect(web1.password).toBeUndefined();
    expect("sudoUser" in web1 || "jump" in web1).toBe(false);
  });

  it("uses ~/.ssh/known_hosts when nothing says otherwise", () => {
    const inv = loadInventory(fixture("good-precedence.yaml"));
    expect(host(inv.hosts, "web3").knownHosts).toBe(join(homedir(), ".ssh", "known_hosts"));
    expect(inv.path).toBe(fixture("good-precedence.yaml"));
  });
});

describe("precedence", () => {
  const inv = loadInventory(fixture("good-precedence.yaml"));

  it("is defaults < groups in file order < host for settings", () => {
    // web1 is in first (port 2201) and second (user second, accept-new); it sets neither itself.
    expect(host(inv.hosts, "web1")).toMatchObject({ user: "second", port: 2201, hostKeyCheck: "accept-new", connectTimeout: 5 });
    // web2 lists itself before web1 in group "first" but the host's own settings win.
    expect(host(inv.hosts, "web2")).toMatchObject({ user: "admin", port: 2222, sudo: true, sudoUser: "ops" });
    expect(host(inv.hosts, "web3")).toMatchObject({ user: "deploy", port: 2200 });
  });

  it("deep-merges data: mappings key by key, lists and scalars replaced", () => {
    expect(host(inv.hosts, "web1").data).toEqual({
      node: 1,
      install: { mode: "metal", disk: "/dev/vda", parts: ["c"] },
      from: "second",
      onlyFirst: true,
    });
    expect(host(inv.hosts, "web3").data).toEqual({ node: 0, install: { mode: "metal", disk: "/dev/sda", parts: ["a", "b"] }, from: "defaults" });
  });

  it("lists a host's groups in file order, and every group", () => {
    expect(host(inv.hosts, "web1").groups).toEqual(["first", "second"]);
    expect(host(inv.hosts, "web2").groups).toEqual(["first"]);
    expect(inv.groups).toEqual({ first: ["web2", "web1"], second: ["web1"], empty: [] });
  });

  it("keeps hosts in file order and IPv6 addresses bare", () => {
    expect(inv.hosts.map((h) => h.name)).toEqual(["web1", "web2", "web3", "db1"]);
    expect(host(inv.hosts, "db1").address).toBe("2001:db8::1");
  });

  it("gives each host its own data objects", () => {
    const fresh = loadInventory(fixture("good-precedence.yaml"));
    (host(fresh.hosts, "web3").data.install as Record<string, unknown>).mode = "changed";
    expect((host(fresh.hosts, "web1").data.install as Record<string, unknown>).mode).toBe("metal");
  });
});

describe("CLI overrides", () => {
  it("override every file level, with paths relative to the working directory", () => {
    const inv = loadInventory(fixture("good-precedence.yaml"), {
      connection: { user: "cli", port: 2022, key: "k/id", hostKeyCheck: "off", sudo: false, connectTimeout: undefined },
    });
    for (const h of inv.hosts) expect(h).toMatchObject({ user: "cli", port: 2022, key: resolve("k/id"), hostKeyCheck: "off", sudo: false });
    expect(host(inv.hosts, "web1").connectTimeout).toBe(5); // undefined flags change nothing
    expect(host(inv.hosts, "web3").explicit).toContain("sudo");
  });

  it("take numbers given as text from flags", () => {
    const inv = loadInventory(fixture("good-paths.yaml"), { connection: { port: "2222" as unknown as number } });
    expect(inv.hosts[0]!.port).toBe(2222);
  });

  it("are validated and name the flag", () => {
    expect(usageError(() => loadInventory(fixture("good-paths.yaml"), { connection: { port: 0 } })).message)
      .toBe("--port must be an integer 1-65535, got the number 0");
    expect(usageError(() => loadInventory(fixture("good-paths.yaml"), { connection: { hostKeyCheck: "maybe" as "off" } })).message)
      .toContain("--host-key-check must be one of strict, accept-new, off");
  });

  it("--data sets nested values last, parsing YAML scalars", () => {
    const inv = loadInventory(fixture("good-precedence.yaml"), {
      data: ["install.mode=vm", "node=3", "flag=true", "none=null", "text='3'", "raw=a # b", "empty=", "list=[1,2]", "eq=a=b", "from.deep=x"],
    });
    const data = host(inv.hosts, "web1").data;
    expect(data).toMatchObject({
      install: { mode: "vm", disk: "/dev/vda", parts: ["c"] },
      node: 3, flag: true, none: null, text: "3", raw: "a # b", empty: "", list: "[1,2]", eq: "a=b",
      from: { deep: "x" }, // a scalar in the way of a dotted key becomes a mapping
    });
  });

  it("--data without = or with an empty key part is a usage error", () => {
    expect(usageError(() => loadInventory(fixture("good-paths.yaml"), { data: ["node"] })).message).toContain("must look like key=value");
    expect(usageError(() => loadInventory(fixture("good-paths.yaml"), { data: ["a..b=1"] })).message).toContain("empty part");
  });
});

describe("paths", () => {
  it("expands ~ to the home directory and resolves relative paths against the inventory's directory", () => {
    const inv = loadInventory(fixture("good-paths.yaml"));
    expect(host(inv.hosts, "web1")).toMatchObject({ key: join(FIXTURES, "keys/id_ed25519"), knownHosts: join(homedir(), ".ssh/pine_known_hosts") });
    expect(host(inv.hosts, "web2")).toMatchObject({ key: join(homedir(), "other_key"), knownHosts: "/etc/ssh/ssh_known_hosts" });
    expect(host(inv.hosts, "web3").key).toBe(resolve(dirname(FIXTURES), "outside/key"));
  });

  it("resolves against the file's directory even when loaded by a relative path", () => {
    const inv = loadInventory("test/fixtures/inventory/good-paths.yaml");
    expect(host(inv.hosts, "web1").key).toBe(join(FIXTURES, "keys/id_ed25519"));
  });
});

describe("secrets", () => {
  it("keeps the password readable but out of JSON, inspection and spreads", () => {
    const inv = loadInventory(fixture("good-precedence.yaml"));
    const web2 = host(inv.hosts, "web2");
    expect(web2.password).toBe("0123-canary-secret");
    expect(web2.explicit).toContain("password");
    expect(JSON.stringify(inv)).not.toContain("canary");
    expect(JSON.stringify({ ...web2 })).not.toContain("canary");
  });
});

describe("everything allowed at once", () => {
  it("loads hosts named by address, IPv6 with brackets or zones, jump lists and a local host", () => {
    const inv = loadInventory(fixture("good-many-hosts.yaml"));
    expect(inv.hosts.map((h) => [h.name, h.address])).toEqual([
      ["10.0.0.5", "10.0.0.5"], ["web-1.example.com", "web-1.example.com"], ["v6host", "2001:db8::7"],
      ["db_1", "fe80::1%eth0"], ["localhost", "localhost"],
    ]);
    expect(host(inv.hosts, "localhost").connector).toBe("local");
    expect(inv.hosts[0]).toMatchObject({ hostKeyCheck: "off", connectTimeout: 2.5, jump: "jump@bastion.example.com:2222,[2001:db8::5]:22" });
  });

  it("accepts ordinary anchors and aliases", () => {
    const inv = loadInventory(fixture("good-aliases.yaml"));
    const common = { ntp: ["0.pool.ntp.org", "1.pool.ntp.org"], dns: "1.1.1.1" };
    expect(host(inv.hosts, "web2")).toMatchObject({ user: "admin", port: 2222, data: { common, shared: common } });
    expect(host(inv.hosts, "web3").data).toEqual({ common, shared: common, extra: true });
  });
});

describe("example inventories", () => {
  it("inventory/example.yaml loads and documents precedence as it behaves", () => {
    const inv = loadInventory("inventory/example.yaml");
    expect(host(inv.hosts, "web1")).toMatchObject({ groups: ["web", "kvm"], data: { node: 1, role: "web", parts: "5G,128M,128M", install: { mode: "vm" } } });
    expect(host(inv.hosts, "db1").data.install).toEqual({ mode: "vm", disk: "/dev/nvme0n1" });
    expect(host(inv.hosts, "web3")).toMatchObject({ address: "web3", user: "root" });
  });

  it("inventory/local.yaml is one localhost on the local connector", () => {
    const inv = loadInventory("inventory/local.yaml");
    expect(inv.hosts).toHaveLength(1);
    expect(inv.hosts[0]).toMatchObject({ name: "localhost", address: "localhost", connector: "local" });
  });
});

describe("hostile input", () => {
  it("keeps __proto__ and constructor as plain data and pollutes no prototype", () => {
    const inv = loadInventory(fixture("good-hostile-data.yaml"));
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.also).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    const web1 = host(inv.hosts, "web1");
    expect(Object.getPrototypeOf(web1.data)).toBe(Object.prototype);
    expect(Object.hasOwn(web1.data, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(web1.data, "__proto__")!.value).toEqual({ polluted: "from defaults", also: "from host" });
    expect(Object.getOwnPropertyDescriptor(web1.data, "constructor")!.value).toEqual({ prototype: { polluted: "via constructor" } });
    expect(web1.data.toString).toBe("not a function");
    expect(typeof ({}).toString).toBe("function");
  });

  it("lets data hold shell metacharacters and newlines unchanged", () => {
    const web1 = host(loadInventory(fixture("good-hostile-data.yaml")).hosts, "web1");
    expect(web1.data.motd).toBe("$(rm -rf /); `reboot` && echo 'hi' \"there\"\n line two");
    expect(web1.data.multiline).toBe("first line\nsecond; line\n");
  });

  it("accepts prototype-ish host and group names without breaking the groups record", () => {
    const inv = loadInventory(fixture("good-hostile-data.yaml"));
    expect(inv.hosts.map((h) => h.name)).toEqual(["web1", "__proto__", "hasOwnProperty"]);
    expect(Object.getOwnPropertyDescriptor(inv.groups, "constructor")!.value).toEqual(["web1", "__proto__"]);
    expect(Object.getPrototypeOf(inv.groups)).toBe(Object.prototype);
    expect(host(inv.hosts, "__proto__").groups).toEqual(["constructor"]);
  });

  it("keeps --data __proto__ and constructor keys as plain data", () => {
    const over = loadInventory(fixture("good-paths.yaml"), { data: ["__proto__.polluted=yes", "constructor.prototype.polluted=yes"] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(over.hosts[0]!.data, "__proto__")!.value).toEqual({ polluted: "yes" });
    expect(Object.getOwnPropertyDescriptor(over.hosts[0]!.data, "constructor")!.value).toEqual({ prototype: { polluted: "yes" } });
  });

  it("refuses a file over the size cap without reading it", () => {
    const path = join(tempDir(), "huge.yaml");
    const fd = openSync(path, "w");
    ftruncateSync(fd, INVENTORY_MAX_BYTES + 1); // sparse: big on paper, nothing to read
    closeSync(fd);
    expect(usageError(() => loadInventory(path)).message).toBe(`inventory ${path} is too large (16.0 MiB); the limit is 16 MiB`);
  });

  it("stops reading an endless file at the cap", () => {
    if (!existsSync("/dev/zero")) return;
    expect(usageError(() => loadInventory("/dev/zero")).message).toContain("is too large (more than that); the limit is 16 MiB");
  });

  it("explains an empty, missing, directory or binary file", () => {
    const dir = tempDir();
    const empty = join(dir, "empty.yaml");
    writeFileSync(empty, "");
    expect(usageError(() => loadInventory(empty)).message).toBe(`${empty}: the inventory is empty; it needs at least a hosts: mapping`);
    const missing = join(dir, "missing.yaml");
    const error = usageError(() => loadInventory(missing));
    expect(error.message).toBe(`cannot read inventory ${missing}: no such file`);
    expect(error.hint).toContain("comma-separated host list");
    expect(usageError(() => loadInventory(dir)).message).toBe(`cannot read inventory ${dir}: it is a directory, not a file`);
    const binary = join(dir, "binary.yaml");
    writeFileSync(binary, Buffer.from([0x68, 0x6f, 0x73, 0x74, 0x73, 0x3a, 0x00, 0xff]));
    expect(usageError(() => loadInventory(binary)).message).toContain("contains NUL bytes");
  });

  it("refuses nesting deep enough to threaten the stack", () => {
    const path = join(tempDir(), "deep.yaml");
    writeFileSync(path, `hosts:\n  web1:\n    data:\n      x: ${"[".repeat(200)}${"]".repeat(200)}\n`);
    expect(usageError(() => loadInventory(path)).message).toMatch(/deep\.yaml:4:\d+: hosts\.web1\.data\.x(\[0\])+ is nested more than 64 levels deep/);
  });

  it("refuses absurd nesting with a message, not a crash", () => {
    const path = join(tempDir(), "deeper.yaml");
    writeFileSync(path, `hosts:\n  web1:\n    data:\n      x: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`);
    const error = usageError(() => loadInventory(path));
    expect(error.message).toContain(`${path}:4:`);
    expect(error.message).toContain("nested too deeply");
    expect(error.message).not.toMatch(/\n\s+at /);
  });
});

describe("scale", () => {
  it("loads 5000 hosts in 20 groups quickly", () => {
    const names = Array.from({ length: 5000 }, (_, i) => `host${i}`);
    const groups = Array.from({ length: 20 }, (_, g) => `  g${g}:\n    hosts: [${names.filter((_, i) => i % 20 === g || g === 0).join(", ")}]\n    data: { g${g}: true }\n`);
    const path = join(tempDir(), "big.yaml");
    writeFileSync(path, `defaults:\n  data: { shared: { a: 1 } }\nhosts:\n${names.map((n, i) => `  ${n}: { address: 10.0.${i >> 8}.${i & 255} }\n`).join("")}groups:\n${groups.join("")}`);
    const started = Date.now();
    const inv = loadInventory(path);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(inv.hosts).toHaveLength(5000);
    expect(host(inv.hosts, "host21").groups).toEqual(["g0", "g1"]);
  });
});
