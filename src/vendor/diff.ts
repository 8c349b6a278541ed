// diff, bundled at build time (see README.md here).
export { createTwoFilesPatch } from "diff";
