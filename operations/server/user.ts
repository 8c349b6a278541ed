// server.user: a local account exists with the uid, groups, shell and home asked (and exactly the authorized keys
// given), or does not exist. shadow's useradd/usermod/userdel where the host has them (Debian, Ubuntu, Alpine with
// `shadow`), else busybox's adduser/addgroup/delgroup/deluser (pine's Alpine) — chosen by the server.which fact.
import { createHash } from "node:crypto";
import { UsageError } from "../../src/errors.js";
import { defineOperation, type Step } from "../../src/operations/define.js";
import { command, quote } from "../../src/shell.js";
import { content as contentFact } from "../../facts/files/content.js";
import { file } from "../../facts/files/file.js";
import { groups as groupsFact } from "../../facts/server/groups.js";
import { users as usersFact } from "../../facts/server/users.js";
import { which } from "../../facts/server/which.js";
import { requireAbsolute } from "../files/path.js";

export interface UserArgs {
  name: string;
  /** false removes the account (default true). */
  present?: boolean;
  uid?: number;
  /** Primary group (must exist); default: what useradd/adduser choose. */
  group?: string;
  /** Supplementary groups, exactly (the account is taken out of others); omit to leave them alone. */
  groups?: string[];
  shell?: string;
  /** Default /home/NAME (/root for root). Changing it does not move files. */
  home?: string;
  /** A system account (low uid, no aging). Only used when creating. */
  system?: boolean;
  /** Exactly these keys in ~/.ssh/authorized_keys (0600, in a 0700 ~/.ssh owned by the user); omit to leave the file alone. */
  authorizedKeys?: string[];
  /** With present: false, also remove the home directory. */
  removeHome?: boolean;
}

const NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

function check(a: UserArgs): void {
  if (typeof a.name !== "string" || !NAME.test(a.name)) throw new UsageError(`server.user: name must be a login name like "deploy" (letters, digits, _ . -; at most 32), got ${JSON.stringify(a.name)}`);
  const where = `server.user ${a.name}`;
  if (a.uid !== undefined && (!Number.isInteger(a.uid) || a.uid < 0 || a.uid > 2 ** 31)) throw new UsageError(`${where}: uid must be a non-negative integer, got ${a.uid}`);
  for (const g of [...(a.groups ?? []), ...(a.group !== undefined ? [a.group] : [])]) {
    if (typeof g !== "string" || !NAME.test(g)) throw new UsageError(`${where}: group names must be like "sudo", got ${JSON.stringify(g)}`);
  }
  if (a.shell !== undefined) requireAbsolute(a.shell, `${where}: shell`);
  if (a.home !== undefined) requireAbsolute(a.home, `${where}: home`);
  for (const key of a.authorizedKeys ?? []) {
    if (typeof key !== "string" || key.trim() === "" || /[\n\r\0]/.test(key)) throw new UsageError(`${where}: each authorized key must be one non-empty line`);
  }
}

const defaultHome = (a: UserArgs) => a.home ?? (a.name === "root" ? "/root" : `/home/${a.name}`);

function keyFacts(home: string) {
  return [file(`${home}/.ssh`), file(`${home}/.ssh/authorized_keys`), contentFact(`${home}/.ssh/authorized_keys`, 0)] as const;
}

/** ~/.ssh (0700) and authorized_keys (0600), both owned by the user; written atomically, refusing a symlinked ~/.ssh. */
export function authorizedKeysCommand(name: string, home: string): string {
  const dir = quote(`${home}/.ssh`);
  return [
    "set -e",
    `pine_owner=${quote(name)}:"$(id -g ${quote(name)})"`,
    `if [ -L ${dir} ]; then echo ${quote(`${home}/.ssh is a symlink: refusing to write keys through it`)} >&2; exit 1; fi`,
    `mkdir -p ${dir}; chown -h "$pine_owner" ${dir}; chmod 0700 ${dir}`,
    `pine_tmp=$(mktemp ${quote(`${home}/.ssh/.pine.XXXXXXXX`)})`,
    `trap 'rm -f "$pine_tmp"' EXIT`,
    `cat > "$pine_tmp"; chmod 0600 "$pine_tmp"; chown -h "$pine_owner" "$pine_tmp"`,
    `mv -fT "$pine_tmp" ${quote(`${home}/.ssh/authorized_keys`)}`,
    "trap - EXIT",
  ].join("\n");
}

export const user = defineOperation<UserArgs>({
  name: "server.user",
  describe: (a) => (a.present === false ? `no user ${a.name}` : `user ${a.name}`),
  facts: (a) => {
    check(a);
    return [usersFact, groupsFact, which("useradd"), ...(a.authorizedKeys ? keyFacts(defaultHome(a)) : [])];
  },
  async plan(host, a) {
    check(a);
    const [users, groups, useradd] = await host.facts(usersFact, groupsFact, which("useradd"));
    const shadow = useradd !== null;
    const existing = users.find((u) => u.name === a.name);
    const invalidates = ["server.users", "server.groups", "files.*"];
    const name = a.name;

    if (a.present === false) {
      if (!existing) return null;
      const del = shadow ? command("userdel", ...(a.removeHome ? ["-r"] : []), name) : command("deluser", ...(a.removeHome ? ["--remove-home"] : []), name);
      return { description: `remove user ${name}${a.removeHome ? ` and ${existing.home}` : ""}`, steps: [{ command: del }], invalidates };
    }

    const missingGroups = [...(a.group !== undefined ? [a.group] : []), ...(a.groups ?? [])].filter((g) => !groups.some((x) => x.name === g));
    if (missingGroups.length) throw new Error(`server.user ${name}: group(s) ${missingGroups.join(", ")} do not exist on ${host.name}; create them first`);
    if (a.uid !== undefined && users.some((u) => u.uid === a.uid && u.name !== name)) {
      throw new Error(`server.user ${name}: uid ${a.uid} already belongs to ${users.find((u) => u.uid === a.uid)!.name}`);
    }

    const steps: Step[] = [];
    const changes: string[] = [];
    const home = existing && a.home === undefined ? existing.home : defaultHome(a);
    const wantedSupp = a.groups ? [...new Set(a.groups)].sort() : undefined;

    if (!existing) {
      if (shadow) {
        steps.push({
          command: command(
            "useradd", "-m", "-d", home,
            ...(a.shell ? ["-s", a.shell] : []),
            ...(a.uid !== undefined ? ["-u", a.uid] : []),
            ...(a.group ? ["-g", a.group] : []),
            ...(wantedSupp?.length ? ["-G", wantedSupp.join(",")] : []),
            ...(a.system ? ["-r"] : []),
            "--", name,
          ),
        });
      } else {
        steps.push({
          command: command(
            "adduser", "-D", "-h", home,
            ...(a.shell ? ["-s", a.shell] : []),
            ...(a.uid !== undefined ? ["-u", a.uid] : []),
            ...(a.group ? ["-G", a.group] : []),
            ...(a.system ? ["-S"] : []),
            name,
          ),
        });
        for (const g of wantedSupp ?? []) steps.push({ command: command("addgroup", name, g) });
      }
      changes.push(`create user ${name} (home ${home}${a.uid !== undefined ? `, uid ${a.uid}` : ""}${wantedSupp?.length ? `, groups ${wantedSupp.join(",")}` : ""})`);
    } else {
      const mods: Array<string | number> = [];
      if (a.uid !== undefined && existing.uid !== a.uid) {
        mods.push("-u", a.uid);
        changes.push(`uid ${existing.uid} → ${a.uid}`);
      }
      if (a.shell !== undefined && existing.shell !== a.shell) {
        mods.push("-s", a.shell);
        changes.push(`shell ${existing.shell} → ${a.shell}`);
      }
      if (a.home !== undefined && existing.home !== a.home) {
        mods.push("-d", a.home);
        changes.push(`home ${existing.home} → ${a.home}`);
      }
      if (a.group !== undefined) {
        const primary = groups.find((g) => g.gid === existing.gid)?.name ?? String(existing.gid);
        if (primary !== a.group) {
          mods.push("-g", a.group);
          changes.push(`group ${primary} → ${a.group}`);
        }
      }
      const current = groups.filter((g) => g.members.includes(name)).map((g) => g.name).sort();
      const addGroups = wantedSupp?.filter((g) => !current.includes(g)) ?? [];
      const dropGroups = wantedSupp ? current.filter((g) => !wantedSupp.includes(g)) : [];
      if (addGroups.length || dropGroups.length) {
        changes.push(`groups ${current.join(",") || "(none)"} → ${wantedSupp!.join(",") || "(none)"}`);
        if (shadow) mods.push("-G", wantedSupp!.join(","));
      }
      if (shadow && mods.length) steps.push({ command: command("usermod", ...mods, "--", name) });
      if (!shadow) {
        const needsUsermod = mods.length > 0;
        if (needsUsermod) throw new Error(`server.user ${name}: changing ${changes.join(", ")} needs usermod, which ${host.name} lacks (on Alpine: apk add shadow)`);
        for (const g of addGroups) steps.push({ command: command("addgroup", name, g) });
        for (const g of dropGroups) steps.push({ command: command("delgroup", name, g) });
      }
    }

    if (a.authorizedKeys) {
      const text = a.authorizedKeys.length ? `${a.authorizedKeys.map((k) => k.trim()).join("\n")}\n` : "";
      const bytes = Buffer.from(text, "utf8");
      let keysOk = false;
      if (existing) {
        const [dir, keys, current] = await host.facts(...keyFacts(home));
        keysOk =
          current !== null &&
          current.sha256 === createHash("sha256").update(bytes).digest("hex") &&
          dir?.type === "directory" && dir.mode === 0o700 && dir.uid === existing.uid &&
          keys?.type === "file" && keys.mode === 0o600 && keys.uid === existing.uid;
      }
      if (!keysOk) {
        steps.push({ command: authorizedKeysCommand(name, home), stdin: bytes, display: `write ${a.authorizedKeys.length} key(s) to ${home}/.ssh/authorized_keys (0600, ~/.ssh 0700)` });
        changes.push(`authorized_keys (${a.authorizedKeys.length} key${a.authorizedKeys.length === 1 ? "" : "s"})`);
      }
    }

    if (steps.length === 0) return null;
    return { description: `user ${name}: ${changes.join(", ")}`, steps, invalidates };
  },
});
