// An etcd lease kept alive from the controller: its keys live while this process renews it and vanish by
// themselves TTL seconds after it stops (a dead controller frees its slots without anyone's help).
import { errorMessage } from "../../errors.js";
import { EtcdError, GRPC_NOT_FOUND, type EtcdGateway } from "./gateway.js";

interface GrantResponse {
  ID?: string;
  TTL?: string;
}

interface KeepAliveResponse {
  result?: { ID?: string; TTL?: string };
}

export class KeptLease {
  private readonly lostController = new AbortController();
  private timer?: NodeJS.Timeout;
  private expiry?: NodeJS.Timeout;
  private stopped = false;
  private lastError = "";
  private constructor(
    private readonly gateway: EtcdGateway,
    /** The lease ID, kept as etcd's decimal string: it is an int64, beyond a JS number's exact range. */
    readonly id: string,
    /** The TTL etcd granted (it may raise a too-short request to its minimum). */
    readonly ttlSeconds: number,
    /** When the request that last started the TTL's count-down was sent: etcd's clock started no earlier. */
    renewedAt: number,
  ) {
    this.renewed(renewedAt);
    this.schedule();
  }

  static async grant(gateway: EtcdGateway, ttlSeconds: number, signal?: AbortSignal): Promise<KeptLease> {
    const sent = Date.now();
    const granted = await gateway.call<GrantResponse>("/v3/lease/grant", { TTL: ttlSeconds }, { signal });
    const ttl = Number(granted.TTL);
    if (!granted.ID || !(ttl > 0)) throw new EtcdError(`etcd granted no usable lease (answer: ${JSON.stringify(granted)})`, undefined);
    return new KeptLease(gateway, granted.ID, ttl, sent);
  }

  /** Aborts (with the reason as a sentence) once etcd has or may have dropped the lease and its keys. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /** Stop renewing; etcd drops the lease within its TTL. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.expiry);
  }

  lose(reason: string): void {
    this.stop();
    if (!this.lostController.signal.aborted) this.lostController.abort(reason);
  }

  /** Drop the lease now, and with it every key attached to it. A lease that already expired counts as revoked. */
  async revoke(): Promise<void> {
    this.stop();
    try {
      await this.gateway.call("/v3/lease/revoke", { ID: this.id });
    } catch (error) {
      if (!(error instanceof EtcdError && error.code === GRPC_NOT_FOUND)) throw error;
    }
  }

  // Renew three times per TTL so one slow or failed renewal does not lose the lease.
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.renew(), (this.ttlSeconds * 1000) / 3);
    // A forgotten lease must not keep the controller alive: etcd expires it once the process is gone.
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const sent = Date.now();
    try {
      const answer = await this.gateway.call<KeepAliveResponse>("/v3/lease/keepalive", { ID: this.id }, { timeoutMs: Math.floor((this.ttlSeconds * 1000) / 3) });
      if (this.stopped) return;
      if (!(Number(answer.result?.TTL) > 0)) return this.lose(`etcd lease ${this.id} expired before it could be renewed`);
      this.renewed(sent);
    } catch (error) {
      // Keep trying: the expiry timer decides when it is too late.
      this.lastError = errorMessage(error);
    }
    this.schedule();
  }

  /** etcd counts the TTL from when it saw the renewal, no earlier than `sent`: past sent + TTL the keys may be gone. */
  private renewed(sent: number): void {
    clearTimeout(this.expiry);
    const left = sent + this.ttlSeconds * 1000 - Date.now();
    this.expiry = setTimeout(() => this.lose(`etcd lease ${this.id} was not renewed within its ${this.ttlSeconds}s TTL (${this.lastError || "no answer"})`), left);
    this.expiry.unref();
  }
}
