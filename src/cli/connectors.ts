// Turn a resolved inventory host into its connector, sharing one secret cache and one handshake cap per run.
import type { Connector } from "../connectors/types.js";
import type { ResolvedHost } from "../inventory/index.js";
import type { EmitEvent } from "../events.js";
import type { AskSecret } from "./prompt.js";

export interface ConnectorFactoryOptions {
  askSecret: AskSecret;
  emit: EmitEvent;
  /** Handshakes in flight at once across all hosts. */
  maxHandshakes: number;
}

export async function connectorFactory(options: ConnectorFactoryOptions): Promise<(host: ResolvedHost) => Connector> {
  const [{ SshConnector, SecretCache, HandshakeLimiter, KnownHostsCache }, { LocalConnector }] = await Promise.all([
    import("../connectors/ssh/index.js"),
    import("../connectors/local.js"),
  ]);
  const secrets = new SecretCache();
  const handshakeLimiter = new HandshakeLimiter(options.maxHandshakes);
  const knownHostsCache = new KnownHostsCache();
  const warned = new Set<string>();
  return (host) => {
    if (host.connector === "local") return new LocalConnector();
    if (host.hostKeyCheck === "off" && !warned.has(host.name)) {
      warned.add(host.name);
      options.emit({ type: "log", host: host.name, level: "warn", message: "host key checking is off: this connection could be intercepted without pine noticing" });
    }
    const explicit = new Set(host.explicit);
    const password = host.password;
    return new SshConnector({
      host: host.address,
      name: host.name,
      ...(explicit.has("port") ? { port: host.port } : {}),
      ...(explicit.has("user") ? { user: host.user } : {}),
      ...(host.key ? { key: host.key } : {}),
      ...(host.jump ? { jump: host.jump } : {}),
      ...(password !== undefined ? { password: async () => password } : {}),
      knownHostsPath: host.knownHosts,
      knownHostsCache,
      hostKeyCheck: host.hostKeyCheck,
      readyTimeout: host.connectTimeout * 1000,
      askSecret: options.askSecret,
      secrets,
      handshakeLimiter,
      ...(host.sudo
        ? { sudo: { user: host.sudoUser ?? "root", password: () => secrets.get("sudo", () => options.askSecret("sudo password (asked once for all hosts): ")) } }
        : {}),
    });
  };
}
