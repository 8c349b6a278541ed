// LocalConnector: the same exec contract as ssh, plus file transfer through fs.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { LocalConnector, fromFile } from "../../src/connectors/local.js";
import { execContract } from "./exec-contract.js";
import { rejection } from "./helpers.js";

const local = new LocalConnector();
const dir = mkdtempSync(join(tmpdir(), "pine-local-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("local exec contract", () => execContract(() => local));

describe("local files", () => {
  test("upload content, a stream and a mode; download the bytes back", async () => {
    const path = join(dir, "f");
    writeFileSync(path, "old", { mode: 0o644 });
    await local.upload("secret", path, { mode: 0o600 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await local.download(path)).toString()).toBe("secret");
    writeFileSync(join(dir, "src"), "from a file");
    await local.upload(fromFile(join(dir, "src")), path);
    expect((await local.download(path)).toString()).toBe("from a file");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  test("errors name the step and path", async () => {
    const error = await rejection(local.download(join(dir, "missing")));
    expect(error.step).toBe("download");
    expect(error.message).toContain("missing");
  });

  test("a timed-out command's children are killed too", async () => {
    await rejection(local.exec("sleep 61 & sleep 62", { timeoutMs: 200 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await local.exec("ps -eo args | grep -c '^sleep 6[12]$' || true")).stdout.trim()).toBe("0");
  });
});
