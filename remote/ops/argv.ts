// Checks shared by the operator commands' arguments; bad input is a DeployError with exit code 2.
import type { z } from 'zod';
import { imageTag, stackName, freeText } from '../../common/names.js';
import { commonOptions, formatIssues } from '../../common/request.js';
import type { ParseArgsConfig } from 'node:util';
import { defaultActor, integer, parse, pathArg } from '../argv/args.js';
import { DeployError } from '../errors.js';
import { layout, type Layout } from '../../common/layout.js';
import { checkTrustedRoot } from '../ownership.js';

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new DeployError(formatIssues(parsed.error), 2);
  return parsed.data;
}

/** `--root` (default /srv; a relative one is taken from the working directory) as a layout; under
 * root it must be root's (ownership.ts). */
export function rootLayout(root: string | undefined): Layout {
  const paths = layout(check(commonOptions.root, pathArg(root)));
  checkTrustedRoot(paths.root);
  return paths;
}

export const stackArg = (value: string): string => check(stackName, value);

export const tagArg = (value: string): string => check(imageTag, value);

/** `--actor`, else SUDO_USER or USER. */
export const actorArg = (value: string | undefined): string =>
  check(freeText('actor', 200), value ?? defaultActor());

export const textArg = (field: string, value: string | undefined, max = 1000): string =>
  check(freeText(field, max), value ?? '');

/**
 * An operator command's options and its one positional (`<stack>` or `<image_tag>`; with
 * `required` it must be given). Anything more is refused, naming it, with the usage.
 */
export function parseOp<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: O,
  usage: string,
  required?: string,
) {
  const { values, positionals: p } = parse(command, argv, options, usage);
  if (p.length > 1) throw new DeployError(`unexpected argument ${JSON.stringify(p[1])}\nusage: ${usage}`, 2);
  if (required && !p[0]) throw new DeployError(`${command} takes <${required}>\nusage: ${usage}`, 2);
  return { v: values, arg: p[0] };
}

/** Adds the option of every operator command that changes something: `--actor`, who did it. */
export function withActor<const O extends NonNullable<ParseArgsConfig['options']>>(options: O) {
  return { ...options, actor: { type: 'string' } } as const;
}

/**
 * The argument parser of an operator command that changes one thing and records who did it and
 * why (verify, unverify, unlock): its options plus `--<text>` and `--actor`. The parser checks, in
 * this order, the required <positional>, `--root` (as a layout), the text and the actor.
 */
export function recordedOpParser<const O extends NonNullable<ParseArgsConfig['options']>, T>(
  command: string,
  positional: string,
  check: (value: string) => T,
  text: 'note' | 'reason',
  options: O = {} as O,
) {
  const textOption = { [text]: { type: 'string' } } as Record<typeof text, { type: 'string' }>;
  const all = withActor({ ...options, ...textOption });
  return (argv: string[], usage: string) => {
    const { v, arg } = parseOp(command, argv, all, usage, positional);
    const values = v as { root?: string; actor?: string } & Partial<Record<typeof text, string>>;
    const target = check(arg!);
    const layout = rootLayout(values.root);
    const note = textArg(text, values[text]);
    return { v, target, layout, text: note, actor: actorArg(values.actor) };
  };
}

/** `--lock-timeout SECONDS` (default 600, as for deploys). */
export const lockTimeoutArg = (value: string | undefined): number =>
  check(commonOptions.lock_timeout_s, integer('--lock-timeout', value));
