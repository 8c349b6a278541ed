// files.template: a file rendered from a template with `{{ data.a.b }}` placeholders filled from the host's
// inventory data. Substitution only — no expressions, no code — and an unknown key is an error, never "".
import { UsageError } from "../../src/errors.js";
import { defineOperation } from "../../src/operations/define.js";
import { describeAttributes, parseMode, type Attributes } from "./attributes.js";
import { requireAbsolute } from "./path.js";
import { sourceBytes } from "./put.js";
import { planWrite, writeFacts } from "./write.js";

export interface TemplateArgs extends Attributes {
  path: string;
  /** The template text. Exactly one of template / src. */
  template?: string;
  /** A template file on the controller. */
  src?: string;
  /** Extra values, looked up before the host's data: `{{ data.x }}` reads vars.x when present. */
  vars?: Readonly<Record<string, unknown>>;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^data(\.[A-Za-z_][A-Za-z0-9_-]*|\.\d+)+$/;

/** Pure: the template with every placeholder replaced; throws naming the first bad or unknown placeholder. */
export function render(template: string, data: Readonly<Record<string, unknown>>, where: string): string {
  return template.replace(PLACEHOLDER, (whole, expr: string) => {
    if (!PATH.test(expr)) throw new UsageError(`${where}: ${whole} is not a placeholder pine understands; use {{ data.key }} or {{ data.a.b }}`);
    let value: unknown = data;
    const keys = expr.split(".").slice(1);
    for (const [i, key] of keys.entries()) {
      if (value === null || typeof value !== "object" || !Object.prototype.hasOwnProperty.call(value, key)) {
        throw new UsageError(`${where}: ${whole}: the host's data has no ${["data", ...keys.slice(0, i + 1)].join(".")}`);
      }
      value = (value as Record<string, unknown>)[key];
    }
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
    throw new UsageError(`${where}: ${whole} is ${value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "object" ? "an object" : `a ${typeof value}`}; only strings, numbers and booleans can be inserted`);
  });
}

export const template = defineOperation<TemplateArgs>({
  name: "files.template",
  describe: (a) => `file ${a.path} from a template${describeAttributes(a)}`,
  facts: (a) => writeFacts(requireAbsolute(a.path, "files.template")),
  async plan(host, a) {
    const path = requireAbsolute(a.path, "files.template");
    parseMode(a.mode, `files.template ${path}`);
    const text = sourceBytes({ path, content: a.template, src: a.src }, "files.template").toString("utf8");
    const rendered = render(text, { ...host.data, ...(a.vars ?? {}) }, `files.template ${path}`);
    return planWrite(host, path, Buffer.from(rendered, "utf8"), a, "files.template");
  },
});
