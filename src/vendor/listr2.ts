// listr2, bundled at build time (see README.md here).
export { Listr, ProcessOutput } from "listr2";
