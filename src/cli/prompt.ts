// Ask the operator for a secret on the terminal, without echo; each distinct prompt is asked once per run.
import { createInterface } from "node:readline";
import { UsageError } from "../errors.js";

export type AskSecret = (prompt: string) => Promise<string>;

/** One prompt per distinct question for the whole run, shared by all hosts (e.g. one sudo password). */
export function secretAsker(input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): AskSecret {
  const answers = new Map<string, Promise<string>>();
  return (prompt) => {
    let answer = answers.get(prompt);
    if (!answer) {
      answer = readHidden(prompt, input, output);
      answers.set(prompt, answer);
    }
    return answer;
  };
}

function readHidden(prompt: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  if (!input.isTTY) {
    return Promise.reject(new UsageError(`pine needs ${prompt.replace(/:\s*$/, "")} but stdin is not a terminal`, {
      hint: "use ssh-agent or an unencrypted key, or run pine from a terminal",
    }));
  }
  return new Promise((resolve) => {
    const rl = createInterface({ input, output, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    let asked = false;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!asked) {
        asked = true;
        write.call(rl, s);
      }
    };
    rl.question(prompt, (value) => {
      output.write("\n");
      rl.close();
      resolve(value);
    });
  });
}

/** Ask yes/no on the terminal; false when there is no terminal. */
export function confirm(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<boolean> {
  if (!input.isTTY) return Promise.resolve(false);
  return new Promise((resolve) => {
    const rl = createInterface({ input, output, terminal: true });
    rl.question(`${question} [y/N] `, (value) => {
      rl.close();
      resolve(/^y(es)?$/i.test(value.trim()));
    });
  });
}
