// ~/.ssh/config resolution and precedence: inventory settings > ssh config > built-in defaults.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { resolveSsh } from "../../src/connectors/ssh/options.js";
import { resolveSshConfig } from "../../src/connectors/ssh/ssh-config.js";
import { testHome } from "./helpers.js";

const home = testHome();
afterAll(() => home.remove());
const config = join(home.dir, "config");
mkdirSync(join(home.dir, ".ssh"));
writeFileSync(join(home.dir, ".ssh", "id_web"), "");
writeFileSync(join(home.dir, ".ssh", "id_ed25519"), "");
writeFileSync(
  config,
  `# test config
Host web?
  HostName %h.example.net
  User deploy
  Port 2222
  IdentityFile ~/.ssh/id_web
  IdentityFile ~/.ssh/id_missing

Host db
  HostName 10.1.0.5
  ProxyJump bastion@jump.example.net:2200

Host *
  User fallback
`,
);

test("HostName with %h, User, Port and existing IdentityFiles (~ expanded)", () => {
  expect(resolveSshConfig({ alias: "web1", defaultUser: "me", path: config, homeDir: home.dir })).toEqual({
    hostName: "web1.example.net",
    user: "deploy",
    port: 2222,
    identityFiles: [join(home.dir, ".ssh/id_web"), join(home.dir, ".ssh/id_missing")],
  });
});

test("first match wins per setting; ProxyJump is kept", () => {
  expect(resolveSshConfig({ alias: "db", defaultUser: "me", path: config, homeDir: home.dir })).toMatchObject({
    hostName: "10.1.0.5",
    user: "fallback",
    proxyJump: "bastion@jump.example.net:2200",
  });
});

test("a missing config file means no settings", () => {
  expect(resolveSshConfig({ alias: "x", defaultUser: "me", path: join(home.dir, "nope"), homeDir: home.dir })).toEqual({ identityFiles: [] });
});

test("inventory settings win over ssh config, which wins over defaults", () => {
  const fromConfig = resolveSsh({ host: "web1", sshConfigPath: config, homeDir: home.dir });
  expect(fromConfig.target).toMatchObject({ host: "web1.example.net", user: "deploy", port: 2222, keyFiles: [join(home.dir, ".ssh/id_web")] });
  const explicit = resolveSsh({ host: "web1", user: "root", port: 22, key: "~/k", sshConfigPath: config, homeDir: home.dir });
  expect(explicit.target).toMatchObject({ host: "web1.example.net", user: "root", port: 22, keyFiles: [join(home.dir, "k")] });
  const none = resolveSsh({ host: "other", sshConfigPath: false, homeDir: home.dir, user: "u" });
  expect(none.target).toMatchObject({ host: "other", user: "u", port: 22, keyFiles: [join(home.dir, ".ssh/id_ed25519")] });
  expect(resolveSsh({ host: "db", sshConfigPath: config, homeDir: home.dir }).jumps).toEqual([
    expect.objectContaining({ host: "jump.example.net", user: "bastion", port: 2200 }),
  ]);
});

test("bad jump specs and ports are usage errors naming the value", () => {
  expect(() => resolveSsh({ host: "x", jump: "a@b@c", sshConfigPath: false })).toThrow(/jump host "a@b@c"/);
  expect(() => resolveSsh({ host: "x", port: 70000, sshConfigPath: false })).toThrow(/port for x must be 1-65535/);
});
