import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  freeText,
  isSafeAbsPath,
  string
} from "./chunk-JL5PL23L.js";

// src/inputs/fields.ts
var InputError = class extends Error {
  constructor(problems) {
    super(problems.length === 1 ? problems[0] : `invalid inputs:
  - ${problems.join("\n  - ")}`);
    this.problems = problems;
  }
  problems;
  name = "InputError";
};
var Problems = class {
  list = [];
  failed = /* @__PURE__ */ new Set();
  add(message) {
    this.list.push(message);
  }
  /** The input is set but not valid. */
  fail(name, message) {
    this.list.push(message);
    this.failed.add(name);
  }
  /** An input that is required here but not set (and not already reported as invalid). */
  require(name, value, why) {
    if (value === void 0 && !this.failed.has(name)) this.fail(name, `${name}: required ${why}`);
  }
};
function parseFields(shape, strings, problems) {
  const out = {};
  for (const [name, field] of Object.entries(shape)) {
    const r = field.safeParse(strings[name]);
    if (r.success) out[name] = r.data;
    else for (const i of r.error.issues) problems.fail(name, i.message);
  }
  return out;
}
var show = (v) => JSON.stringify(v.length > 60 ? v.slice(0, 57) + "..." : v);
var issue = (ctx, message) => ctx.addIssue({ code: "custom", message });
var matching = (name, re, expected) => string().transform((v, ctx) => {
  if (v === "") return void 0;
  if (!re.test(v)) issue(ctx, `${name}: ${show(v)} is not valid; expected ${expected}`);
  return v;
});
var oneOf = (name, values) => string().transform((v, ctx) => {
  if (v === "") return void 0;
  if (!values.includes(v))
    issue(ctx, `${name}: ${show(v)} is not valid; expected one of ${values.join(", ")}`);
  return v;
});
var integer = (name, min, max, unit = "") => string().transform((v, ctx) => {
  if (v === "") return void 0;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    issue(ctx, `${name}: ${show(v)} is not valid; expected a whole number from ${min} to ${max}${unit}`);
    return void 0;
  }
  return n;
});
var boolean = (name) => string().transform((v, ctx) => {
  if (v === "") return void 0;
  if (/^(true|yes|on|1)$/i.test(v)) return true;
  if (/^(false|no|off|0)$/i.test(v)) return false;
  issue(ctx, `${name}: ${show(v)} is not valid; expected true or false`);
  return void 0;
});
var absPath = (name) => string().transform((v, ctx) => {
  if (v === "") return void 0;
  const p = v.replace(/\/+$/, "") || "/";
  if (!isSafeAbsPath(p))
    issue(ctx, `${name}: ${show(v)} is not valid; expected an absolute path without '..' (e.g. /srv)`);
  return p;
});
var text = (name, max) => string().transform((v, ctx) => {
  const r = freeText(name, max).safeParse(v);
  if (!r.success) issue(ctx, `${name}: ${r.error.issues[0]?.message ?? "invalid"}`);
  return v;
});
var parsedBy = (parse) => string().transform((v, ctx) => {
  if (v === "") return void 0;
  try {
    return parse(v);
  } catch (err) {
    issue(ctx, err.message);
    return void 0;
  }
});
var anyString = string().transform((v) => v === "" ? void 0 : v);

export {
  InputError,
  Problems,
  parseFields,
  show,
  issue,
  matching,
  oneOf,
  integer,
  boolean,
  absPath,
  text,
  parsedBy,
  anyString
};
