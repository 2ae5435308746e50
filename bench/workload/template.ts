/** The values a statement template can use, as sysbench's oltp scripts draw them. */
export const PLACEHOLDERS = ["table", "id", "k", "c", "pad"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export class TemplateError extends Error {}

/**
 * A statement split once into literal text and placeholders, so rendering is a few string
 * concatenations: parts[0] + value(slots[0]) + parts[1] + ... + parts[n].
 */
export interface CompiledTemplate {
  parts: string[];
  slots: Placeholder[];
}

export function compileTemplate(sql: string): CompiledTemplate {
  const parts: string[] = [];
  const slots: Placeholder[] = [];
  const pattern = /\{([^{}]*)\}/g;
  let last = 0;
  for (let match = pattern.exec(sql); match; match = pattern.exec(sql)) {
    const name = match[1] ?? "";
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw new TemplateError(
        `unknown placeholder {${name}}; allowed: ${PLACEHOLDERS.map((p) => `{${p}}`).join(" ")}`,
      );
    }
    parts.push(sql.slice(last, match.index));
    slots.push(name as Placeholder);
    last = match.index + match[0].length;
  }
  parts.push(sql.slice(last));
  if (parts.some((part) => part.includes("{") || part.includes("}"))) {
    throw new TemplateError("unbalanced { or } outside a placeholder");
  }
  return { parts, slots };
}

export function uses(template: CompiledTemplate, placeholder: Placeholder): boolean {
  return template.slots.includes(placeholder);
}
