// Lab naming and the generated files, without touching the network: pure functions only.
import { describe, expect, it } from "vitest";
import { renderInventory, renderKnownHosts } from "../../src/lab/inventory-file.js";
import { fingerprint, parsePublicKey } from "../../src/lab/keys.js";
import {
  assertLabName,
  bridgeMac,
  candidateSubnetOctets,
  hostAddress,
  indexFromNamespace,
  labSubnet,
  namespaceName,
  overlapsSubnet,
  preferredSubnetOctet,
  vethName,
} from "../../src/lab/names.js";
import { renderSshdConfig } from "../../src/lab/sshd.js";
import type { LabHostState } from "../../src/lab/state.js";

describe("lab names", () => {
  it("accepts short [a-z0-9] names and refuses others, saying why", () => {
    expect(() => assertLabName("demo")).not.toThrow();
    expect(() => assertLabName("abcdef")).not.toThrow();
    for (const bad of ["", "abcdefg", "Demo", "a-b", "a b"]) {
      expect(() => assertLabName(bad)).toThrow(/1 to 6 characters from \[a-z0-9\]/);
    }
  });

  it("keeps every interface name within IFNAMSIZ for the longest name and host index", () => {
    expect(vethName("abcdef", 244).length).toBeLessThanOrEqual(15);
    expect(`pb-abcdef`.length).toBeLessThanOrEqual(15);
  });

  it("derives a stable subnet octet in 1..254, and tries every octet once", () => {
    expect(preferredSubnetOctet("demo")).toBe(preferredSubnetOctet("demo"));
    const candidates = candidateSubnetOctets("demo");
    expect(candidates[0]).toBe(preferredSubnetOctet("demo"));
    expect([...candidates].sort((a, b) => a - b)).toEqual(Array.from({ length: 254 }, (_, i) => i + 1));
  });

  it("gives host i the address .(10+i) and the bridge .1", () => {
    const subnet = labSubnet(42);
    expect(subnet).toEqual({ octet: 42, cidr: "10.77.42.0/24", gateway: "10.77.42.1" });
    expect(hostAddress(subnet, 3)).toBe("10.77.42.13");
  });

  it("sees overlaps of wider and narrower prefixes", () => {
    const subnet = labSubnet(42);
    expect(overlapsSubnet("10.77.42.200", 24, subnet)).toBe(true);
    expect(overlapsSubnet("10.77.0.1", 16, subnet)).toBe(true);
    expect(overlapsSubnet("10.77.42.5", 32, subnet)).toBe(true);
    expect(overlapsSubnet("10.77.43.1", 24, subnet)).toBe(false);
    expect(overlapsSubnet("192.0.2.2", 24, subnet)).toBe(false);
  });

  it("recognises only its own lab's namespaces", () => {
    expect(indexFromNamespace("ab", namespaceName("ab", 12))).toBe(12);
    expect(indexFromNamespace("ab", "pine-abc-1")).toBeUndefined();
    expect(indexFromNamespace("ab", "pine-ab-x")).toBeUndefined();
  });

  it("pins a locally administered unicast bridge MAC", () => {
    expect(bridgeMac("demo")).toMatch(/^02:70:62(:[0-9a-f]{2}){3}$/);
  });
});

describe("lab files", () => {
  const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBuI+HZYbtHhF++dvGz9y/MYm05aJCbcx60ffetBSDr7 h1@pine-lab-x";
  const host: LabHostState = {
    name: "h1",
    index: 1,
    namespace: "pine-x-1",
    veth: "pv-x-1",
    address: "10.77.5.11",
    sshdPid: 100,
    hostKeyFingerprint: "",
    hostKey,
  };

  it("renders an empty inventory that still parses as the documented shape", () => {
    expect(renderInventory({ key: "/l/id_ed25519", knownHosts: "/l/known_hosts" }, [])).toContain("hosts: {}\n");
  });

  it("writes known_hosts lines without the key comment", () => {
    expect(renderKnownHosts([host])).toBe(`10.77.5.11 ${hostKey.split(" ").slice(0, 2).join(" ")}\n`);
  });

  it("computes the fingerprint ssh-keygen -l prints", () => {
    // ssh-keygen -lf on this key printed SHA256:e7sHC2sLLezCkX1kllrrVBQT8nQpqQjsq1I16BaH7EM.
    expect(fingerprint(parsePublicKey(hostKey))).toBe("SHA256:e7sHC2sLLezCkX1kllrrVBQT8nQpqQjsq1I16BaH7EM");
  });

  it("configures sshd for a throwaway host: no PAM, keys only, own key and PID file", () => {
    const config = renderSshdConfig({
      address: "10.77.5.11",
      files: { config: "/l/c", hostKey: "/l/k", pidFile: "/l/p", log: "/l/log" },
      authorizedKeys: "/l/id_ed25519.pub",
    });
    for (const line of [
      "ListenAddress 10.77.5.11:22",
      "HostKey /l/k",
      "PidFile /l/p",
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "AuthorizedKeysFile /l/id_ed25519.pub .ssh/authorized_keys",
    ]) {
      expect(config.split("\n")).toContain(line);
    }
  });
});
