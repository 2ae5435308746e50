import { describe, expect, it } from "vitest";
import { compileTemplate, PLACEHOLDERS, TemplateError, uses } from "./template.js";

describe("compileTemplate", () => {
  it("splits a statement into literal parts and placeholder slots", () => {
    expect(compileTemplate("SELECT c FROM sbtest{table} WHERE id={id}")).toEqual({
      parts: ["SELECT c FROM sbtest", " WHERE id=", ""],
      slots: ["table", "id"],
    });
  });

  it("keeps the literal text around and between placeholders, in order", () => {
    const sql = "INSERT INTO sbtest{table} (id, k, c, pad) VALUES ({id}, {k}, '{c}', '{pad}')";
    const compiled = compileTemplate(sql);
    expect(compiled.slots).toEqual(["table", "id", "k", "c", "pad"]);
    expect(compiled.parts).toEqual([
      "INSERT INTO sbtest",
      " (id, k, c, pad) VALUES (",
      ", ",
      ", '",
      "', '",
      "')",
    ]);
    expect(compiled.parts).toHaveLength(compiled.slots.length + 1);
    // Re-joining with the placeholders gives the original text back.
    const rebuilt = compiled.slots.reduce(
      (text, slot, i) => `${text}{${slot}}${compiled.parts[i + 1]}`,
      compiled.parts[0] ?? "",
    );
    expect(rebuilt).toBe(sql);
  });

  it("compiles a statement without placeholders to one part", () => {
    expect(compileTemplate("SELECT 1")).toEqual({ parts: ["SELECT 1"], slots: [] });
    expect(compileTemplate("")).toEqual({ parts: [""], slots: [] });
  });

  it("allows the same placeholder more than once and placeholders side by side", () => {
    expect(compileTemplate("{id}{id} {table}")).toEqual({
      parts: ["", "", " ", ""],
      slots: ["id", "id", "table"],
    });
  });

  it("writes a range bound as sysbench 0.5's oltp.lua sent it: {id}+99 is SQL arithmetic on the one id", () => {
    // oltp.lua sent "WHERE id BETWEEN n AND n+99"; the server adds, as it did for sysbench.
    expect(compileTemplate("SELECT c FROM sbtest{table} WHERE id BETWEEN {id} AND {id}+99")).toEqual({
      parts: ["SELECT c FROM sbtest", " WHERE id BETWEEN ", " AND ", "+99"],
      slots: ["table", "id", "id"],
    });
  });

  it("accepts exactly the placeholders table, id, k, c and pad", () => {
    expect([...PLACEHOLDERS]).toEqual(["table", "id", "k", "c", "pad"]);
    for (const name of PLACEHOLDERS) expect(compileTemplate(`x{${name}}y`).slots).toEqual([name]);
  });

  it("rejects an unknown placeholder, naming it and the allowed ones", () => {
    expect(() => compileTemplate("SELECT {nope} FROM t")).toThrow(TemplateError);
    expect(() => compileTemplate("SELECT {nope} FROM t")).toThrow(
      "unknown placeholder {nope}; allowed: {table} {id} {k} {c} {pad}",
    );
    // Case and whitespace matter.
    expect(() => compileTemplate("id={ID}")).toThrow("unknown placeholder {ID}");
    expect(() => compileTemplate("id={ id }")).toThrow("unknown placeholder { id }");
    expect(() => compileTemplate("id={}")).toThrow("unknown placeholder {}");
  });

  it("rejects unbalanced braces outside a placeholder", () => {
    const message = "unbalanced { or } outside a placeholder";
    for (const sql of ["id={id", "id=id}", "{ {id}", "{id}}", "{{id}}", "SELECT '{' FROM t", "}{"]) {
      expect(() => compileTemplate(sql), sql).toThrow(TemplateError);
      expect(() => compileTemplate(sql), sql).toThrow(message);
    }
  });

  it("throws TemplateError, an Error", () => {
    try {
      compileTemplate("{bad}");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateError);
      expect(error).toBeInstanceOf(Error);
    }
  });
});

describe("uses", () => {
  it("tells whether a compiled template has a placeholder", () => {
    const compiled = compileTemplate("UPDATE sbtest{table} SET c='{c}' WHERE id={id}");
    expect(uses(compiled, "table")).toBe(true);
    expect(uses(compiled, "c")).toBe(true);
    expect(uses(compiled, "id")).toBe(true);
    expect(uses(compiled, "k")).toBe(false);
    expect(uses(compiled, "pad")).toBe(false);
  });
});
