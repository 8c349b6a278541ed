// files.directory(path): a directory's stat, null when nothing is there; something else at the path is "unavailable" with what it is.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { parseStat, statCommand, type FileStat } from "./file.js";

export type DirectoryStat = Omit<FileStat, "linkTarget"> & { type: "directory" };

export const directory = defineFactFamily<[path: string], DirectoryStat | null>({
  name: "files.directory",
  inline: true,
  command: statCommand,
  parse(output, path) {
    const stat = parseStat(output, path);
    if (stat === null) return null;
    if (stat.type !== "directory") throw new FactUnavailable(`${path} is a ${stat.type}, not a directory`);
    return stat as DirectoryStat;
  },
});
