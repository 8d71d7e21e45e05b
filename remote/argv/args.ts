// Argument parsing for the executor CLI (node's parseArgs: no dependency), one spec per command.
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseImageLines } from '../../common/image-lines.js';
import { DeployError } from '../errors.js';
import { refuseOptionLikeValues } from './untrusted.js';

export const globalOptions = {
  root: { type: 'string' },
  source: { type: 'string' },
  json: { type: 'boolean', default: false },
  'lock-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** Thrown by `parse` when --help/-h is an option of the command line (not the value of one). */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

/**
 * Parses a command's arguments. A value that looks like an option (`--actor --help`) is refused
 * as ambiguous by parseArgs; `--actor=--help` is the value "--help". Only a real --help or -h
 * asks for help (HelpRequested): the command then does nothing.
 */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: O,
  usage: string,
) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...globalOptions, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new DeployError(`${command}: ${(err as Error).message}\nusage: ${usage}`, 2);
  }
  refuseOptionLikeValues(command, parsed.values, usage);
  if ((parsed.values as { help?: boolean }).help === true) throw new HelpRequested(command);
  return parsed;
}

/** The options of a command that takes no positional argument (only the global ones). */
export function parseNoArgs(command: string, argv: string[], usage: string) {
  const { values, positionals } = parse(command, argv, {}, usage);
  if (positionals.length) throw new DeployError(`${command} takes no arguments\nusage: ${usage}`, 2);
  return values;
}

/** A user name as useradd(8) takes it (and Samba's trailing `$`). */
const USER_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;

/**
 * Who runs an operator command: the caller of sudo (`SUDO_USER`, when it is a user name), else the
 * user this process runs as, from the password database rather than `$USER` (absent under cron,
 * `docker exec` or `env -i`).
 */
export function defaultActor(
  env: NodeJS.ProcessEnv = process.env,
  currentUser: () => string = () => userInfo().username,
): string {
  const sudo = env.SUDO_USER;
  if (sudo && USER_NAME_RE.test(sudo)) return sudo;
  try {
    return currentUser();
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`; // a uid with no passwd entry (a container's)
  }
}

/**
 * A path given on the command line: a relative one is taken from the working directory, as every
 * shell tool does (the request schema then sees an absolute path without '..'). The same rule for
 * every path option: --root, --source, --digest-file, --registry-password-file. '-' (stdin) stays.
 */
export function pathArg(value: string | undefined, cwd = process.cwd()): string | undefined {
  return value && value !== '-' ? resolve(cwd, value) : value; // '-' is stdin
}

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

/** `IMAGE_REF=seisei-odoo18,OCR_IMAGE_REF=seisei-ocr` (commas or newlines: common/image-lines.ts). */
export function imageLines(value: string | undefined): Record<string, string> | undefined {
  if (!value) return undefined;
  const { mapping, problems } = parseImageLines(value);
  if (problems.length) throw new DeployError(`--images: ${problems.map((p) => p.message).join('; ')}`, 2);
  return mapping;
}
