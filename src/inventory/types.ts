// The inventory's public types: connection settings, resolved hosts, the inventory itself.

export type HostKeyCheck = "strict" | "accept-new" | "off";
export type ConnectorKind = "ssh" | "local";

/** How pine reaches a host. Allowed in `defaults`, in groups and on hosts; CLI flags override all three. */
export interface ConnectionSettings {
  /** SSH login user. Default: the current OS user, as ssh does. */
  user: string;
  /** Default 22. */
  port: number;
  /** Absolute path of a private key file (`~` expanded, relative paths resolved against the inventory's directory). */
  key?: string;
  /** SSH password. A secret: never printed (see ResolvedHost.password). Discouraged; prefer keys or the agent. */
  password?: string;
  /** Absolute path of the known_hosts file. Default ~/.ssh/known_hosts. */
  knownHosts: string;
  /** Default "strict". */
  hostKeyCheck: HostKeyCheck;
  /** Wrap commands in sudo. Default false. */
  sudo: boolean;
  /** sudo's target user (sudo -u); root when absent. */
  sudoUser?: string;
  /** "local" runs commands on this machine instead of over SSH. Default "ssh". */
  connector: ConnectorKind;
  /** ProxyJump-style `[user@]host[:port]`, several separated by commas. */
  jump?: string;
  /** Seconds to wait for the TCP connection and SSH handshake. Default 10. */
  connectTimeout: number;
}

export type ConnectionKey = keyof ConnectionSettings;

export interface ResolvedHost extends ConnectionSettings {
  /** The name in the inventory (or the entry of an ad-hoc host list). Matches [A-Za-z0-9_][A-Za-z0-9_.@:-]*. */
  name: string;
  /** Hostname, IPv4 or IPv6 literal (no brackets). Defaults to the name. */
  address: string;
  /**
   * Present only when set. Non-enumerable on purpose: JSON.stringify, console.log and object
   * spread skip it, so printing a resolved host (`pine inventory`, --json, error dumps) never
   * leaks it. Read it as `host.password`.
   */
  password?: string;
  /** Groups this host belongs to, in file order. */
  groups: string[];
  /** Deep-merged data: defaults < groups (file order) < host < --data. */
  data: Record<string, unknown>;
  /**
   * Connection settings that were written somewhere (inventory or CLI) rather than defaulted.
   * The SSH connector lets ~/.ssh/config fill in the others (User, Port, IdentityFile, ProxyJump),
   * as OpenSSH does for options not given on its command line.
   */
  explicit: ConnectionKey[];
}

export interface Inventory {
  /** Absolute path of the inventory file, or the host-list argument as given for an ad-hoc inventory. */
  path: string;
  /** In file order. */
  hosts: ResolvedHost[];
  /** Group name → member host names (file order). Includes empty groups. */
  groups: Record<string, string[]>;
}

export interface InventoryOverrides {
  /** From CLI flags (--user, --port, --key, --known-hosts, --host-key-check, --sudo, ...). Undefined entries are ignored. */
  connection?: Partial<ConnectionSettings>;
  /** `--data key=value` entries; dotted keys set nested values, values are YAML scalars. */
  data?: string[];
}
