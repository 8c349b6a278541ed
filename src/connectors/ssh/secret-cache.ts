// A per-run store of secrets (key passphrases, sudo password) so each is asked once and shared by all hosts.

/**
 * The caller creates one per run and passes it to every connector. Concurrent hosts needing the same secret wait for
 * one prompt. Values never show up when the object is logged, inspected or serialised.
 */
export class SecretCache {
  readonly #pending = new Map<string, Promise<string>>();

  /** The secret stored under `key`, asking with `ask` the first time (a failed ask is forgotten, so the next caller asks again). */
  get(key: string, ask: () => Promise<string>): Promise<string> {
    let value = this.#pending.get(key);
    if (value === undefined) {
      value = ask();
      this.#pending.set(key, value);
      value.catch(() => {
        if (this.#pending.get(key) === value) this.#pending.delete(key);
      });
    }
    return value;
  }

  /** Drop a secret that turned out to be wrong (only if it is still `stale`), so the next `get` asks again. */
  forget(key: string, stale: Promise<string>): void {
    if (this.#pending.get(key) === stale) this.#pending.delete(key);
  }

  toJSON(): string {
    return "[SecretCache]";
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[SecretCache]";
  }
}
