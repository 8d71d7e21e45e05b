// Argument parsing for the executor CLI (node's parseArgs: no dependency), one spec per command.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ENV_VAR_RE } from '../../src/common/names.js';
import { DeployError } from '../errors.js';

export const globalOptions = {
  root: { type: 'string' },
  source: { type: 'string' },
  json: { type: 'boolean', default: false },
  'lock-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...globalOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new DeployError(`${command}: ${(err as Error).message}\nusage: ${usage}`, 2);
  }
}

/** Who runs an operator command: the sudo caller, else the login user. */
export const defaultActor = () => process.env.SUDO_USER || process.env.USER || 'operator';

export function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value))
    throw new DeployError(`${name} must be a whole number, got ${JSON.stringify(value)}`, 2);
  return Number(value);
}

/** A byte offset into a file: any whole number up to Number.MAX_SAFE_INTEGER (journals grow past 1 GB). */
export function byteOffset(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,16}$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER)
    throw new DeployError(
      `${name} must be a whole number of bytes up to ${Number.MAX_SAFE_INTEGER}, got ${JSON.stringify(value)}`,
      2,
    );
  return Number(value);
}

/** `IMAGE_REF=seisei-odoo18,OCR_IMAGE_REF=seisei-ocr` (commas or newlines). */
export function imageLines(value: string | undefined): Record<string, string> | undefined {
  if (!value) return undefined;
  const out: Record<string, string> = {};
  for (const part of value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 1) throw new DeployError(`--images: ${JSON.stringify(part)} is not ENV_VAR=image-name`, 2);
    const name = part.slice(0, eq);
    if (!ENV_VAR_RE.test(name))
      throw new DeployError(
        `--images: ${JSON.stringify(name)} is not an upper-case variable name like IMAGE_REF or OCR_IMAGE_REF`,
        2,
      );
    out[name] = part.slice(eq + 1);
  }
  return out;
}
