// pine's version, read from package.json next to the code (no import of the JSON into the startup path).
import { readFileSync } from "node:fs";

export function version(): string {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { version: string }).version;
    } catch {
      // try the next layout (src/ when run from source, dist/src/ when built)
    }
  }
  return "unknown";
}
