// yargs, bundled at build time (see README.md here).
export { default } from "yargs";
