// The install's pure planning: inventory data, the network to write, the partitions to create.
import { describe, expect, it } from "vitest";
import { parseParts, readInstallConfig } from "../../deploys/install/config.js";
import { maskToPrefix, planNetwork, prefixToMask, renderInterfaces, renderNetworkEnvironment } from "../../deploys/install/network.js";
import { IMAGE_BYTES, planDataPartitions } from "../../deploys/install/partitions.js";
import { controllerClash, controllerIdentity } from "../../deploys/install/preflight.js";
import type { NetInterface } from "../../facts/net/interfaces.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const eth = (name: string, kind: NetInterface["kind"] = "ether" as NetInterface["kind"]): NetInterface => ({ name, mac: null, state: "up", kind, mtu: 1500 });

describe("install config from inventory data", () => {
  it("reads node, image source, parts, network and keys", () => {
    const config = readInstallConfig("web1", {
      node: 3,
      release: "v1.2.0",
      parts: "2G,64M,64M",
      network: { address: "203.0.113.10", netmask: "255.255.255.0", gateway: "203.0.113.1" },
      authorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@example"],
      install: { mode: "vm" },
    });
    expect(config).toMatchObject({ node: 3, mode: "vm", image: { release: "v1.2.0" }, parts: { varBytes: 2 * GiB, varLogBytes: 64 * MiB, shareLogBytes: 64 * MiB } });
  });

  it("refuses what would make a bad install, naming the key", () => {
    expect(() => readInstallConfig("web1", { release: "v1" })).toThrow(/data\.node must be the host's numeric id/);
    expect(() => readInstallConfig("web1", { node: 1 })).toThrow(/no image source/);
    expect(() => readInstallConfig("web1", { node: 1, image: { url: "http://x/image.tar.gz" } })).toThrow(/image\.sha256 is required/);
    expect(() => readInstallConfig("web1", { node: 1, release: "v1", install: { mode: "metal" } })).toThrow(/install\.mode must be vm or container/);
    expect(() => readInstallConfig("web1", { node: 1, release: "v1", network: { address: "1.2.3.4; reboot" } })).toThrow(/network\.address must be a plain/);
    expect(() => readInstallConfig("web1", { node: 1, release: "v1", authorizedKeys: ["not a key"] })).toThrow(/authorizedKeys\[0\]/);
    expect(() => parseParts("5G,128M", "parts")).toThrow(/three sizes/);
    expect(() => parseParts("5G,1M,128M", "parts")).toThrow(/16M minimum/);
  });
});

describe("network for the new system", () => {
  const addresses = [
    { iface: "lo", family: 4 as const, address: "127.0.0.1", prefix: 8, scope: "host" },
    { iface: "ens3", family: 4 as const, address: "203.0.113.10", prefix: 24, scope: "global" },
    { iface: "ens3", family: 6 as const, address: "2001:db8::10", prefix: 64, scope: "global" },
    { iface: "ens3", family: 6 as const, address: "fe80::1", prefix: 64, scope: "link" },
    { iface: "eth1", family: 4 as const, address: "10.0.0.5", prefix: 8, scope: "global" },
  ];
  const gateway = {
    v4: { gateway: "203.0.113.1", dev: "ens3", onlink: false, metric: null },
    v6: { gateway: "fe80::1", dev: "ens3", onlink: false, metric: 1024 },
  };

  it("keeps the default route's interface, its global addresses and gateways; renames ensN to eth0", () => {
    const net = planNetwork("web1", { addresses, gateway, interfaces: [eth("lo", "loopback" as NetInterface["kind"]), eth("ens3"), eth("eth1")] }, {});
    expect(net).toMatchObject({ iface: "eth0", currentIface: "ens3", ipv4: { address: "203.0.113.10", prefix: 24, gateway: "203.0.113.1" }, ipv6: { address: "2001:db8::10", prefix: 64, gateway: "fe80::1" } });
    expect(net.notes.join()).toMatch(/ens3 will be called eth0/);
    expect(renderInterfaces(net)).toBe(
      "# Written by pine install. pine OS reads it at boot.\nauto lo\niface lo inet loopback\n\nauto eth0\n" +
        "iface eth0 inet static\n\taddress 203.0.113.10\n\tnetmask 255.255.255.0\n\tgateway 203.0.113.1\n" +
        "iface eth0 inet6 static\n\taddress 2001:db8::10\n\tnetmask 64\n\tgateway fe80::1\n",
    );
    expect(renderNetworkEnvironment(7, net)).toContain("NODE=7\nIFACE=eth0\nIPV4=203.0.113.10\nIPV4_PREFIX=24\nIPV4_GATEWAY=203.0.113.1\nIPV6=2001:db8::10\n");
  });

  it("OpenVZ venet: a device default route, no gateway address", () => {
    const venet = planNetwork(
      "ct1",
      {
        addresses: [{ iface: "venet0", family: 4, address: "198.51.100.7", prefix: 32, scope: "global" }],
        gateway: { v4: { gateway: null, dev: "venet0", onlink: false, metric: null }, v6: null },
        interfaces: [eth("venet0", "venet" as NetInterface["kind"])],
      },
      {},
    );
    expect(venet.iface).toBe("venet0");
    expect(renderInterfaces(venet)).toContain("\tpost-up ip route add default dev venet0\n");
  });

  it("inventory overrides win", () => {
    const net = planNetwork("web1", { addresses, gateway, interfaces: [eth("ens3")] }, { iface: "eth1", address: "192.0.2.9", netmask: 28, gateway: "192.0.2.1" });
    expect(net.ipv4).toEqual({ address: "192.0.2.9", prefix: 28, gateway: "192.0.2.1" });
    expect(net.iface).toBe("eth1");
  });

  it("converts masks both ways and refuses non-contiguous masks", () => {
    expect(maskToPrefix("255.255.255.192", "h")).toBe(26);
    expect(maskToPrefix("0.0.0.0", "h")).toBe(0);
    expect(prefixToMask(26)).toBe("255.255.255.192");
    expect(prefixToMask(32)).toBe("255.255.255.255");
    expect(() => maskToPrefix("255.0.255.0", "h")).toThrow(/not a netmask/);
  });
});

describe("data partitions after the image", () => {
  it("an extended p4 from 512 MiB holding var, its log, share's log and share", () => {
    const layout = planDataPartitions("web1", 20 * GiB, { varBytes: 5 * GiB, varLogBytes: 128 * MiB, shareLogBytes: 128 * MiB });
    expect(layout.extended).toEqual({ number: 4, startBytes: IMAGE_BYTES, sizeBytes: 20 * GiB - IMAGE_BYTES });
    expect(layout.partitions.map((p) => [p.number, p.role])).toEqual([[5, "var"], [6, "var-log"], [7, "share-log"], [8, "share"]]);
    for (const [a, b] of layout.partitions.slice(0, -1).map((p, i) => [p, layout.partitions[i + 1]!] as const)) {
      expect(b.startBytes).toBeGreaterThanOrEqual(a.startBytes + a.sizeBytes + MiB);
    }
    const last = layout.partitions.at(-1)!;
    expect(last.startBytes + last.sizeBytes).toBe(20 * GiB);
    expect(layout.sfdiskScript.split("\n")[0]).toBe(`start=${IMAGE_BYTES / 512}, size=${(20 * GiB - IMAGE_BYTES) / 512}, type=5`);
  });

  it("refuses a disk that cannot hold it, saying how much is needed", () => {
    expect(() => planDataPartitions("web1", 4 * GiB, { varBytes: 5 * GiB, varLogBytes: 128 * MiB, shareLogBytes: 128 * MiB })).toThrow(/disk is 4\.0 GiB, too small .* \(needs 6\.0 GiB\)/);
  });
});

describe("never install over the controller's own machine", () => {
  const controller = { bootId: "6058680d-e264-4599-ac8d-efea3282f93b", pidNamespace: "pid:[4026531836]", initStart: 1 };
  it("refuses a host in the controller's PID namespace, whatever the mode", () => {
    expect(controllerClash({ ...controller }, controller, "container")).toMatch(/machine pine runs on/);
    expect(controllerClash({ ...controller }, controller, null)).toMatch(/machine pine runs on/);
  });
  it("refuses a 'VM' on the controller's kernel, but allows a container in its own PID namespace", () => {
    const nspawn = { bootId: controller.bootId, pidNamespace: "pid:[4026532999]", initStart: 5000 };
    expect(controllerClash(nspawn, controller, "vm")).toMatch(/not a separate VM/);
    expect(controllerClash(nspawn, controller, "container")).toBeNull();
    expect(controllerClash({ bootId: "0e8a7c0a-2d7e-4a1e-9a55-1c7f1b0f1e23", pidNamespace: controller.pidNamespace, initStart: 1 }, controller, "vm")).toBeNull();
  });
  it("reads the controller's identity from this machine", () => {
    const id = controllerIdentity();
    expect(id.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(id.pidNamespace).toMatch(/^pid:\[\d+\]$/);
  });
});
