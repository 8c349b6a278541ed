// File operations: what a deploy calls as files.put(host, {...}), files.directory(host, {...}), ...
export { directory, type DirectoryArgs } from "./directory.js";
export { put, type PutArgs } from "./put.js";
export { line, type LineArgs } from "./line.js";
export { link, type LinkArgs } from "./link.js";
