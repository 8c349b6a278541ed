// The packages.* facts: installed packages per package manager (as lists, and as name → version maps for operations), and how fresh apt's lists are.
export { deb, type DebPackage } from "./deb.js";
export { apk, type ApkPackage } from "./apk.js";
export { dpkgInstalled as dpkg_installed } from "./dpkg-installed.js";
export { apkInstalled as apk_installed } from "./apk-installed.js";
export { aptCacheAge as apt_cache_age } from "./apt-cache-age.js";
// Two shapes of the same data: packages.deb / packages.apk are lists (name, version, arch) for reports and humans;
// packages.dpkg_installed / packages.apk_installed are name → version maps, what the packages operations compare
// against. Prefer the maps in operations (one lookup per package); both read the same package database.
