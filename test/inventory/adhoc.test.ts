// Host lists on the command line: parsing entries, and telling a host list from an inventory path.
import { describe, expect, it } from "vitest";
import { inventoryFromHosts, isHostList, openInventory } from "../../src/inventory/index.js";
import { usageError } from "./fixtures.js";

describe("inventoryFromHosts", () => {
  it("parses [user@]host[:port] entries, IPv6 with and without brackets", () => {
    const inv = inventoryFromHosts("10.0.0.5, admin@web2.example.com:2222,[2001:db8::1]:22,root@2001:db8::2,");
    expect(inv.hosts.map((h) => [h.name, h.address, h.user, h.port])).toEqual([
      ["10.0.0.5", "10.0.0.5", expect.any(String), 22],
      ["web2.example.com:2222", "web2.example.com", "admin", 2222],
      ["[2001:db8::1]:22", "2001:db8::1", expect.any(String), 22],
      ["2001:db8::2", "2001:db8::2", "root", 22],
    ]);
    expect(inv.hosts[1]!.explicit.sort()).toEqual(["port", "user"]);
    expect(inv.groups).toEqual({});
    expect(inv.path).toBe("10.0.0.5, admin@web2.example.com:2222,[2001:db8::1]:22,root@2001:db8::2,");
  });

  it("applies CLI overrides and --data", () => {
    const inv = inventoryFromHosts(["web1", "web2"], { connection: { user: "ops", sudo: true }, data: ["role=web"] });
    for (const h of inv.hosts) expect(h).toMatchObject({ user: "ops", sudo: true, data: { role: "web" }, groups: [] });
  });

  it("refuses entries that are not hosts, with the reason", () => {
    expect(usageError(() => inventoryFromHosts("web1;reboot")).message).toContain(`host list entry "web1;reboot" is not [user@]host[:port]`);
    expect(usageError(() => inventoryFromHosts("$(id)@web1")).message).toContain("must be a user name");
    expect(usageError(() => inventoryFromHosts("web1:99999")).message).toContain("must be an integer 1-65535");
    expect(usageError(() => inventoryFromHosts("web1,web1")).message).toBe("the host list names web1 twice");
    expect(usageError(() => inventoryFromHosts(",,")).message).toContain("names no hosts");
  });
});

describe("isHostList / openInventory", () => {
  it("treats commas and bare names as host lists, paths and existing files as inventories", () => {
    expect(isHostList("10.0.0.5,10.0.0.6")).toBe(true);
    expect(isHostList("db1")).toBe(true);
    expect(isHostList("inventory/example.yaml")).toBe(false);
    expect(isHostList("invntory.yaml")).toBe(false); // a typo says "no such file", it does not SSH to it
    expect(isHostList("./lab")).toBe(false);
    expect(isHostList("package.json")).toBe(false);
  });

  it("opens either kind", () => {
    expect(openInventory("inventory/local.yaml").hosts[0]!.connector).toBe("local");
    expect(openInventory("10.0.0.5").hosts[0]!.address).toBe("10.0.0.5");
    expect(usageError(() => openInventory("invntory.yaml")).message).toBe("cannot read inventory invntory.yaml: no such file");
  });
});
