// etcd's v3 JSON gateway over fetch: POST /v3/... with base64 keys, bounded by a timeout, failing over between
// endpoints, and turning "fetch failed" into an error that names the endpoint and says what to check.
import { LockError } from "../errors.js";

/** An error etcd answered with; `code` is its gRPC status (5: not found). */
export class EtcdError extends LockError {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message, "backend");
    this.name = "EtcdError";
  }
}

export const GRPC_NOT_FOUND = 5;

export interface KeyValue {
  key: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  lease?: string;
}

export interface RangeResponse {
  header?: { revision?: string };
  kvs?: KeyValue[];
  count?: string;
}

export interface TxnResponse {
  header?: { revision?: string };
  /** Absent when false: the gateway leaves out zero values. */
  succeeded?: boolean;
  responses?: { response_range?: RangeResponse }[];
}

export const encode = (text: string): string => Buffer.from(text, "utf8").toString("base64");
export const decode = (base64: string | undefined): string => Buffer.from(base64 ?? "", "base64").toString("utf8");

/** The range_end that makes a range cover every key starting with prefix. */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.subarray(0, i + 1);
      end[i]! += 1;
      return end.toString("base64");
    }
  }
  return Buffer.from([0]).toString("base64");
}

const UNREACHABLE_HINT =
  "check that etcd runs there and that each endpoint is a client URL (etcd's --advertise-client-urls, usually port 2379) " +
  "served by etcd 3.4 or later, whose JSON gateway is on by default; `curl ENDPOINT/health` should print {\"health\":\"true\"}";

export class EtcdGateway {
  /** Where the last request succeeded: asked first next time. */
  private current = 0;

  constructor(
    readonly endpoints: readonly string[],
    private readonly requestTimeoutMs: number,
  ) {}

  /**
   * POST body to path, trying each endpoint in turn while they cannot be reached. `signal` ends the call early;
   * `timeoutMs` bounds each endpoint's answer (default: the gateway's).
   */
  async call<T>(path: string, body: unknown, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    const timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? this.requestTimeoutMs));
    const failures: string[] = [];
    for (let tried = 0; tried < this.endpoints.length; tried++) {
      const index = (this.current + tried) % this.endpoints.length;
      const endpoint = this.endpoints[index]!;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${endpoint}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal });
        text = await response.text();
      } catch (error) {
        if (options.signal?.aborted) throw new LockError(`etcd request ${path} was aborted`, "aborted", { cause: error });
        failures.push(timeout.aborted ? `${endpoint} did not answer POST ${path} within ${timeoutMs} ms` : `${endpoint}: ${networkReason(error)}`);
        continue;
      }
      this.current = index;
      return parse<T>(endpoint, path, response.status, text);
    }
    throw new LockError(`etcd is unreachable: ${failures.join("; ")}`, "unreachable", { hint: UNREACHABLE_HINT });
  }
}

function parse<T>(endpoint: string, path: string, status: number, text: string): T {
  let json: { error?: string; message?: string; code?: number } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = undefined;
  }
  if (status === 200 && json && typeof json === "object") return json as T;
  if (json && typeof json === "object" && (json.message || json.error)) {
    throw new EtcdError(`etcd at ${endpoint} refused POST ${path}: ${json.message ?? json.error} (HTTP ${status})`, json.code);
  }
  throw new LockError(`${endpoint} answered POST ${path} with HTTP ${status} and no etcd JSON: ${text.slice(0, 200).trim() || "(empty body)"}`, "unreachable", {
    hint: UNREACHABLE_HINT,
  });
}

/** "connect ECONNREFUSED 127.0.0.1:2379" rather than fetch's bare "fetch failed". */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.message) return cause.message;
  if (cause?.code) return cause.code;
  return (error as Error)?.message ?? String(error);
}
