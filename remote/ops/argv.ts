// Checks shared by the operator commands' arguments; bad input is a DeployError with exit code 2.
import type { z } from 'zod';
import { imageTag, stackName, freeText } from '../../common/names.js';
import { commonOptions, formatIssues } from '../../common/request.js';
import { defaultActor, integer, pathArg } from '../argv/args.js';
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
  const l = layout(check(commonOptions.root, pathArg(root)));
  checkTrustedRoot(l.root);
  return l;
}

export const stackArg = (value: string): string => check(stackName, value);

export const tagArg = (value: string): string => check(imageTag, value);

/** `--actor`, else SUDO_USER or USER. */
export const actorArg = (value: string | undefined): string =>
  check(freeText('actor', 200), value ?? defaultActor());

export const textArg = (field: string, value: string | undefined, max = 1000): string =>
  check(freeText(field, max), value ?? '');

/** At most `max` positionals; says which command took what. */
export function positionals(p: string[], max: number, usage: string): void {
  if (p.length > max)
    throw new DeployError(`unexpected argument ${JSON.stringify(p[max])}\nusage: ${usage}`, 2);
}

/** `--lock-timeout SECONDS` (default 600, as for deploys). */
export const lockTimeoutArg = (value: string | undefined): number =>
  check(commonOptions.lock_timeout_s, integer('--lock-timeout', value));
