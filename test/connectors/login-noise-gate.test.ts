// The connector's login-noise gate on its own (the real thing, over a lab host whose ~/.bashrc prints, is
// test/faults/login-noise.test.ts): everything up to the command's marker line is dropped, nothing after it is touched.
import { expect, test } from "vitest";
import { NoiseGate, markOutputStart } from "../../src/connectors/ssh/login-noise.js";

test("the marker split across chunks, noise without a final newline, the marker's text later in the output", () => {
  const gate = new NoiseGate("MARK");
  expect(gate.feed(Buffer.from("noise without newlineMA")).toString()).toBe("");
  expect(gate.feed(Buffer.from("RK\nout")).toString()).toBe("out");
  expect(gate.feed(Buffer.from("MARK\nmore")).toString()).toBe("MARK\nmore");
  expect(gate.flush().toString()).toBe("");
});

test("no marker: more than 1 MiB of noise is passed through; a stream that ends without one keeps what it said", () => {
  const flood = new NoiseGate("MARK");
  expect(flood.feed(Buffer.alloc(1024 * 1024, 0x61)).length).toBe(0);
  expect(flood.feed(Buffer.from("bb")).length).toBe(1024 * 1024 + 2);
  const never = new NoiseGate("MARK");
  expect(never.feed(Buffer.from("This account is currently not available.\n")).length).toBe(0);
  expect(never.flush().toString()).toBe("This account is currently not available.\n");
});

test("the marker is printed on both streams before the command, by the login shell", () => {
  expect(markOutputStart("sudo -S true", "M1")).toBe("printf '%s\\n' M1; printf '%s\\n' M1 >&2; sudo -S true");
});
