// cli-table3, bundled at build time (see README.md here).
export { default } from "cli-table3";
