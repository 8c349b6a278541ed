// files.link(path): a symlink and its target, null when nothing is there; something else at the path is "unavailable" with what it is.
import { defineFactFamily, FactUnavailable } from "../../src/facts/define.js";
import { parseStat, statCommand, type FileStat } from "./file.js";

export type LinkStat = FileStat & { type: "link"; linkTarget: string };

export const link = defineFactFamily<[path: string], LinkStat | null>({
  name: "files.link",
  inline: true,
  command: statCommand,
  parse(output, path) {
    const stat = parseStat(output, path);
    if (stat === null) return null;
    if (stat.type !== "link" || stat.linkTarget === undefined) throw new FactUnavailable(`${path} is a ${stat.type}, not a symlink`);
    return stat as LinkStat;
  },
});
