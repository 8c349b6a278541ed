// File operations: what a deploy calls as files.put(host, {...}), files.directory(host, {...}), ...
export { directory, type DirectoryArgs } from "./directory.js";
export { put, type PutArgs } from "./put.js";
export { template, type TemplateArgs } from "./template.js";
export { line, type LineArgs } from "./line.js";
export { replace, type ReplaceArgs } from "./replace.js";
export { link, type LinkArgs } from "./link.js";
export { absent, type AbsentArgs } from "./absent.js";
export { download, type DownloadArgs } from "./download.js";
export { get, type GetArgs } from "./get.js";
