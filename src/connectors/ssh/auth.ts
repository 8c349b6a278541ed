// Client authentication: ssh-agent, then key files (passphrases asked once via the shared SecretCache), then password.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import ssh2 from "ssh2";
import type { AnyAuthMethod, AuthHandlerMiddleware, AuthenticationType, ParsedKey } from "ssh2";
import type { SecretCache } from "./secret-cache.js";

const { utils } = ssh2;

export interface AuthSettings {
  username: string;
  /** ssh-agent socket; undefined means no agent. */
  agentSocket?: string;
  /** Private key files to offer, in order (see chooseKeyFiles). */
  keyFiles: string[];
  /** Login password, asked only if the server still wants one after keys. */
  password?: () => Promise<string>;
  /** Asks the person for a secret (key passphrase). Without it, encrypted keys are skipped. */
  askSecret?: (prompt: string) => Promise<string>;
  secrets: SecretCache;
}

/** What was tried, in order, for an error message. Never contains secrets. */
export interface AuthAttempts {
  tried: string[];
}

const DEFAULT_KEYS = ["id_ed25519", "id_ecdsa", "id_rsa"];
const PASSPHRASE_TRIES = 3;

/** Key files to offer: the explicit one, else the ssh config's IdentityFiles that exist, else the default ones that exist. */
export function chooseKeyFiles(explicit: string | undefined, configured: string[], homeDir: string): string[] {
  if (explicit !== undefined) return [explicit];
  const fromConfig = configured.filter((file) => existsSync(file));
  if (configured.length > 0) return fromConfig;
  return DEFAULT_KEYS.map((name) => join(homeDir, ".ssh", name)).filter((file) => existsSync(file));
}

/** An ssh2 authHandler trying agent → keys → password → keyboard-interactive, recording each attempt in `attempts`. */
export function createAuthHandler(settings: AuthSettings, attempts: AuthAttempts): AuthHandlerMiddleware {
  const { username } = settings;
  type Step = { type: AuthenticationType; prepare: () => Promise<AnyAuthMethod | null> };
  const steps: Step[] = [];
  if (settings.agentSocket) {
    const agent = settings.agentSocket;
    steps.push({ type: "publickey", prepare: async () => note(attempts, `agent (${agent})`, { type: "agent", username, agent }) });
  }
  for (const file of settings.keyFiles) {
    steps.push({
      type: "publickey",
      prepare: async () => {
        const key = await loadKey(file, settings, attempts);
        return key ? note(attempts, `key ${file}`, { type: "publickey", username, key }) : null;
      },
    });
  }
  if (settings.password) {
    const password = settings.password;
    steps.push({
      type: "password",
      prepare: async () => note(attempts, "password", { type: "password", username, password: await password() }),
    });
    steps.push({
      type: "keyboard-interactive",
      prepare: async () => {
        const secret = await password();
        return note(attempts, "keyboard-interactive (password)", {
          type: "keyboard-interactive",
          username,
          prompt: (_name, _instructions, _lang, prompts, finish) => finish(prompts.map(() => secret)),
        });
      },
    });
  }

  return (methodsLeft, _partialSuccess, next) => {
    const done = next as (method: AnyAuthMethod | false) => void;
    const advance = async (): Promise<void> => {
      for (let step = steps.shift(); step; step = steps.shift()) {
        if (methodsLeft && !methodsLeft.includes(step.type)) continue;
        const method = await step.prepare().catch((error: unknown) => {
          attempts.tried.push(`${step.type} (could not prepare: ${(error as Error).message})`);
          return null;
        });
        if (method) return done(method);
      }
      done(false);
    };
    void advance();
  };
}

function note(attempts: AuthAttempts, label: string, method: AnyAuthMethod): AnyAuthMethod {
  attempts.tried.push(label);
  return method;
}

/** Read and parse a private key, asking for its passphrase (once per run, shared via the cache) when it is encrypted. */
async function loadKey(file: string, settings: AuthSettings, attempts: AuthAttempts): Promise<ParsedKey | null> {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    attempts.tried.push(`key ${file} (unreadable: ${(error as NodeJS.ErrnoException).code ?? "error"})`);
    return null;
  }
  const plain = firstKey(utils.parseKey(data));
  if (!(plain instanceof Error)) return plain;
  if (!/passphrase/i.test(plain.message)) {
    attempts.tried.push(`key ${file} (not a usable private key: ${plain.message})`);
    return null;
  }
  if (!settings.askSecret) {
    attempts.tried.push(`key ${file} (encrypted, and no way to ask for its passphrase)`);
    return null;
  }
  const ask = settings.askSecret;
  const cacheKey = `passphrase:${realpathSync(file)}`;
  for (let i = 0; i < PASSPHRASE_TRIES; i++) {
    const pending = settings.secrets.get(cacheKey, () => ask(`Passphrase for ${file}: `));
    const parsed = firstKey(utils.parseKey(data, await pending));
    if (!(parsed instanceof Error)) return parsed;
    settings.secrets.forget(cacheKey, pending);
  }
  attempts.tried.push(`key ${file} (wrong passphrase ${PASSPHRASE_TRIES} times)`);
  return null;
}

function firstKey(parsed: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  if (Array.isArray(parsed)) return parsed[0] ?? new Error("no key in file");
  return parsed;
}
