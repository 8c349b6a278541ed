// The files.* facts: what is at a path, its checksum, directories, links, matching lines.
export { file, type FileStat, type FileType } from "./file.js";
export { sha256 } from "./sha256.js";
export { directory, type DirectoryStat } from "./directory.js";
export { link, type LinkStat } from "./link.js";
export { findInFile as find_in_file } from "./find-in-file.js";
export { content, type FileContent } from "./content.js";
