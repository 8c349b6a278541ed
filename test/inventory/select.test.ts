// --limit: names, groups, globs, unions, exclusions, @files, and what an unknown limit says.
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { loadInventory, selectHosts } from "../../src/inventory/index.js";
import { fixture, tempDir, usageError } from "./fixtures.js";

const inv = loadInventory(fixture("good-precedence.yaml")); // hosts web1 web2 web3 db1; groups first [web2 web1], second [web1], empty
const names = (limits: string[]) => selectHosts(inv, limits).map((h) => h.name);

describe("selectHosts", () => {
  it("selects everything without limits", () => {
    expect(names([])).toEqual(["web1", "web2", "web3", "db1"]);
  });

  it("selects by host name, group name and glob", () => {
    expect(names(["web2"])).toEqual(["web2"]);
    expect(names(["first"])).toEqual(["web1", "web2"]); // inventory order, not group order
    expect(names(["web*"])).toEqual(["web1", "web2", "web3"]);
    expect(names(["db?"])).toEqual(["db1"]);
    expect(names(["web[13]"])).toEqual(["web1", "web3"]);
    expect(names(["*"])).toEqual(["web1", "web2", "web3", "db1"]);
  });

  it("takes the union of several limits and comma-separated ones, each host once", () => {
    expect(names(["db1", "second"])).toEqual(["web1", "db1"]);
    expect(names(["db1,second", "web*"])).toEqual(["web1", "web2", "web3", "db1"]);
    expect(names([" web3 , web3 "])).toEqual(["web3"]);
  });

  it("removes hosts with !, and only exclusions mean all but those", () => {
    expect(names(["web*,!web3"])).toEqual(["web1", "web2"]);
    expect(names(["!first"])).toEqual(["web3", "db1"]);
  });

  it("reads limits from an @file, one per line, with comments and blank lines", () => {
    const dir = tempDir();
    const file = join(dir, "failed.txt");
    writeFileSync(file, "# failed on the last run\nweb2\n\ndb1  # disk full\n");
    expect(names([`@${file}`])).toEqual(["web2", "db1"]);
    expect(names([`@${relative(process.cwd(), file)},web3`])).toEqual(["web2", "web3", "db1"]);
  });

  it("names an unknown limit and suggests close names", () => {
    const error = usageError(() => names(["web1", "wbe2", "frist", "nothing*"]));
    expect(error.message).toBe(`--limit matches no host or group: "wbe2" — did you mean web2?; "frist" — did you mean first?; "nothing*"`);
    expect(error.hint).toBe("hosts: web1, web2, web3, db1; groups: first, second, empty");
  });

  it("says which @file line an unknown name came from", () => {
    const file = join(tempDir(), "failed.txt");
    writeFileSync(file, "web1\nweb9\n");
    expect(usageError(() => names([`@${file}`])).message).toContain(`"web9" (from ${file} line 2) — did you mean web1, web2, web3?`);
  });

  it("refuses empty or unreadable @files and empty results", () => {
    const dir = tempDir();
    const empty = join(dir, "empty.txt");
    writeFileSync(empty, "# nothing failed\n\n");
    expect(usageError(() => names([`@${empty}`])).message).toContain("the file lists no hosts");
    expect(usageError(() => names([`@${join(dir, "missing.txt")}`])).message).toBe(`cannot read --limit file ${join(dir, "missing.txt")}: no such file`);
    expect(usageError(() => names(["@"])).message).toContain("--limit @ needs a file name");
    expect(usageError(() => names([""])).message).toContain("names no hosts");
    expect(usageError(() => names(["web1,!web1"])).message).toContain("leaves no hosts");
    const nested = join(dir, "nested.txt");
    writeFileSync(nested, `@${empty}\n`);
    expect(usageError(() => names([`@${nested}`])).message).toContain("a limit file cannot include another file");
  });

  it("reads . in a limit literally, not as a wildcard", () => {
    expect(() => names(["web.1"])).toThrow(/"web.1"/); // "." is not a wildcard
  });
});
