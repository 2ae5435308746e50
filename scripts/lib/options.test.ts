import { afterEach, describe, expect, it, vi } from "vitest";
import { optionsOrExit, parseFlags, UsageProblem, wholeNumber } from "./options.js";

const FLAGS = {
  rate: { type: "string", default: "10" },
  keep: { type: "boolean", default: false },
} as const;

describe("parseFlags", () => {
  it("reads the flags given and the defaults of the others", () => {
    expect(parseFlags(["--keep"], FLAGS)).toEqual({ rate: "10", keep: true });
    expect(parseFlags(["--rate", "5"], FLAGS)).toEqual({ rate: "5", keep: false });
  });

  it("turns node:util's errors into a UsageProblem with its message", () => {
    expect(() => parseFlags(["--bogus"], FLAGS)).toThrow(new UsageProblem("Unknown option '--bogus'"));
    expect(() => parseFlags(["extra"], FLAGS)).toThrow(
      "Unexpected argument 'extra'. This command does not take positional arguments",
    );
  });

  it("keeps only the first sentence when asked", () => {
    const read = () => parseFlags(["extra"], FLAGS, { firstSentenceOnly: true });
    expect(read).toThrow(UsageProblem);
    expect(read).toThrow(/^Unexpected argument 'extra'$/);
    // A message over several lines keeps its first line, without the final full stop.
    expect(() => parseFlags(["--rate", "-1"], FLAGS, { firstSentenceOnly: true })).toThrow(
      /^Option '--rate' argument is ambiguous$/,
    );
  });
});

describe("wholeNumber", () => {
  it("accepts whole numbers within the bounds, surrounding spaces included", () => {
    expect(wholeNumber("--n", "0", 0, 5)).toBe(0);
    expect(wholeNumber("--n", " 5", 0, 5)).toBe(5);
  });

  it("refuses anything else, naming the flag and the bounds", () => {
    for (const text of ["6", "-1", "1.5", "1e3", "x", ""]) {
      expect(() => wholeNumber("--n", text, 0, 5)).toThrow(
        new UsageProblem(`--n: '${text}' must be a whole number from 0 to 5`),
      );
    }
    expect(() => wholeNumber("--n", "0", 1, 5)).toThrow("from 1 to 5");
  });
});

describe("optionsOrExit", () => {
  const writes = () => {
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    return { stdout: () => stdout.mock.calls.join(""), stderr: () => stderr.mock.calls.join("") };
  };

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("passes the options on", () => {
    const out = writes();
    expect(optionsOrExit([], () => ({ n: 1 }), "usage")).toEqual({ options: { n: 1 } });
    expect(out.stdout() + out.stderr()).toBe("");
  });

  it("prints the usage on stdout and exits 0 for help", () => {
    const out = writes();
    expect(optionsOrExit(["-h"], () => undefined, "usage: x")).toEqual({ exitCode: 0 });
    expect(out.stdout()).toBe("usage: x\n");
    expect(out.stderr()).toBe("");
  });

  it("prints any error with the usage on stderr and exits 2", () => {
    const out = writes();
    const parse = () => {
      throw new Error("--target: bad URL");
    };
    expect(optionsOrExit([], parse, "usage: x")).toEqual({ exitCode: 2 });
    expect(out.stderr()).toBe("error: --target: bad URL\nusage: x\n");
    expect(out.stdout()).toBe("");
  });
});
