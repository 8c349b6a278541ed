// The pine.* facts: what pine itself installed.
export { release, type PineRelease } from "./release.js";
