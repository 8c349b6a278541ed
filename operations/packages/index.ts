// Package operations: apt (Debian, Ubuntu) and apk (Alpine, pine's own OS).
export { apt, type AptArgs } from "./apt.js";
export { apk, type ApkArgs } from "./apk.js";
