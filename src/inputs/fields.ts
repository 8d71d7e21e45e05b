// The parsers of single inputs (string -> typed value, '' = not set) and the list of problems they
// add to. Every message starts with the input's name and states the expected form.
import * as z from 'zod';
import { freeText, isSafeAbsPath } from '../../common/names.js';
import type { InputName, InputStrings } from './raw.js';

export class InputError extends Error {
  override name = 'InputError';
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0]! : `invalid inputs:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Every problem found in the inputs, and which inputs had one (so each is named once). */
export class Problems {
  readonly list: string[] = [];
  readonly failed = new Set<InputName>();

  add(message: string): void {
    this.list.push(message);
  }

  /** The input is set but not valid. */
  fail(name: InputName, message: string): void {
    this.list.push(message);
    this.failed.add(name);
  }

  /** An input that is required here but not set (and not already reported as invalid). */
  require(name: InputName, value: unknown, why: string): void {
    if (value === undefined && !this.failed.has(name)) this.fail(name, `${name}: required ${why}`);
  }
}

/** A parser of one input: '' parses to undefined; problems are zod issues with the message. */
export type Field = z.ZodType<unknown, string>;
export type Values<S extends Partial<Record<InputName, Field>>> = {
  [K in keyof S]?: Exclude<z.output<S[K]>, undefined>;
};

/** Parses each input of `shape` once; invalid ones are undefined and their problems recorded. */
export function parseFields<S extends Partial<Record<InputName, Field>>>(
  shape: S,
  strings: InputStrings,
  problems: Problems,
): Values<S> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(shape) as [InputName, Field][]) {
    const r = field.safeParse(strings[name]);
    if (r.success) out[name] = r.data;
    else for (const i of r.error.issues) problems.fail(name, i.message);
  }
  return out as Values<S>;
}

export const show = (v: string) => JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);

type Ctx = z.core.$RefinementCtx<string>;
export const issue = (ctx: Ctx, message: string) => ctx.addIssue({ code: 'custom', message });

export const matching = (name: InputName, re: RegExp, expected: string) =>
  z.string().transform((v, ctx) => {
    if (v === '') return undefined;
    if (!re.test(v)) issue(ctx, `${name}: ${show(v)} is not valid; expected ${expected}`);
    return v;
  });

export const oneOf = <T extends string>(name: InputName, values: readonly T[]) =>
  z.string().transform((v, ctx) => {
    if (v === '') return undefined;
    if (!(values as readonly string[]).includes(v))
      issue(ctx, `${name}: ${show(v)} is not valid; expected one of ${values.join(', ')}`);
    return v as T;
  });

export const integer = (name: InputName, min: number, max: number, unit = '') =>
  z.string().transform((v, ctx) => {
    if (v === '') return undefined;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      issue(ctx, `${name}: ${show(v)} is not valid; expected a whole number from ${min} to ${max}${unit}`);
      return undefined;
    }
    return n;
  });

export const boolean = (name: InputName) =>
  z.string().transform((v, ctx) => {
    if (v === '') return undefined;
    if (/^(true|yes|on|1)$/i.test(v)) return true;
    if (/^(false|no|off|0)$/i.test(v)) return false;
    issue(ctx, `${name}: ${show(v)} is not valid; expected true or false`);
    return undefined;
  });

export const absPath = (name: InputName) =>
  z.string().transform((v, ctx) => {
    if (v === '') return undefined;
    const p = v.replace(/\/+$/, '') || '/';
    if (!isSafeAbsPath(p))
      issue(ctx, `${name}: ${show(v)} is not valid; expected an absolute path without '..' (e.g. /srv)`);
    return p;
  });

/** Free text (a reason, a name): '' when not set. */
export const text = (name: InputName, max: number) =>
  z.string().transform((v, ctx) => {
    const r = freeText(name, max).safeParse(v);
    if (!r.success) issue(ctx, `${name}: ${r.error.issues[0]?.message ?? 'invalid'}`);
    return v;
  });

/** A parser from a function that returns the value or throws the problem's message. */
export const parsedBy = <T>(parse: (v: string) => T) =>
  z.string().transform((v, ctx) => {
    if (v === '') return undefined;
    try {
      return parse(v);
    } catch (err) {
      issue(ctx, (err as Error).message);
      return undefined;
    }
  });

export const anyString = z.string().transform((v) => (v === '' ? undefined : v));
