// The files.* facts: what is at a path, its checksum, directories, links, matching lines.
export { file, type FileStat, type FileType } from "./file.js";
