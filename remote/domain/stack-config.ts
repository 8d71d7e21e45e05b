// The stack's own deploy settings: the `x-seisei-deploy` block of its compose file (DESIGN.md section 10).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, YAMLError } from 'yaml';
import { parse as parseDotenv } from 'dotenv';
import * as z from 'zod';
import { formatIssues } from '../../common/request.js';
import { DeployError } from '../errors.js';

export const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml'];

const smokeCheck = z.strictObject({
  url: z.string().regex(/^https?:\/\//, { error: 'smoke url must start with http:// or https://' }),
  expect_status: z.number().int().min(100).max(599).optional(),
  contains: z.string().optional(),
});

/**
 * Seconds each external step may run before its process group is killed and the deploy fails
 * (a hanging hook, pull or `up` must not hold the stack's lock forever). The defaults leave room
 * for a large database dump, a slow registry and images whose healthchecks take minutes.
 */
export const DEFAULT_TIMEOUTS = { pre_deploy: 1800, pull: 900, up: 600 } as const;
const seconds = (field: string, fallback: number) =>
  z
    .number({ error: `timeouts.${field} must be a number of seconds, e.g. ${fallback}` })
    .positive({ error: `timeouts.${field} must be more than 0 seconds` })
    .max(86400, { error: `timeouts.${field} must be at most 86400 seconds (one day)` })
    .default(fallback);
const timeouts = z
  .strictObject({
    pre_deploy: seconds('pre_deploy', DEFAULT_TIMEOUTS.pre_deploy),
    pull: seconds('pull', DEFAULT_TIMEOUTS.pull),
    up: seconds('up', DEFAULT_TIMEOUTS.up),
  })
  .default({ ...DEFAULT_TIMEOUTS });
export type StepTimeouts = z.infer<typeof timeouts>;

/** How a release is run (DESIGN.md section A): chosen per stack, frozen with the release. */
export const ENGINES = ['compose', 'swarm'] as const;
export type EngineName = (typeof ENGINES)[number];

const stackConfig = z.strictObject({
  engine: z
    .enum(ENGINES, { error: `must be one of: ${ENGINES.join(', ')} (leave it out for compose)` })
    .default('compose'),
  smoke: z.array(smokeCheck).default([]),
  smoke_timeout_s: z.number().positive().max(3600).default(60),
  wait_healthy: z.boolean().default(true),
  hooks: z.strictObject({ pre_deploy: z.array(z.string()).min(1).optional() }).default({}),
  keep_releases: z.number().int().min(1).max(1000).optional(),
  timeouts,
});
export type StackConfig = z.infer<typeof stackConfig>;
export type SmokeCheck = z.infer<typeof smokeCheck>;

export function findComposeFile(dir: string): string | undefined {
  return COMPOSE_FILES.find((f) => existsSync(join(dir, f)));
}

export function readStackConfig(dir: string, composeFile: string): StackConfig {
  const path = join(dir, composeFile);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DeployError(`${path} is not valid YAML: ${yamlErrorText(err)}`);
  }
  const block = (doc as Record<string, unknown> | null)?.['x-seisei-deploy'] ?? {};
  const parsed = stackConfig.safeParse(block);
  if (!parsed.success) {
    throw new DeployError(
      `x-seisei-deploy in ${path} is invalid:\n${formatIssues(parsed.error).replace(/^/gm, '  x-seisei-deploy.')}`,
    );
  }
  return parsed.data;
}

/**
 * Parses YAML (a compose file) the one way the executor does: errors throw (warnings are not
 * printed) and say only where and what, never the source excerpt the library adds, which may hold
 * a secret of the file (`DB_PASSWORD: "..."`) and would reach the job log and the history.
 */
export function parseYaml(text: string): unknown {
  try {
    return parse(text, { logLevel: 'error' });
  } catch (err) {
    if (err instanceof YAMLError) throw new YamlSyntaxError(yamlErrorText(err));
    throw err;
  }
}

/** A YAML error reduced to line, column and reason. */
export class YamlSyntaxError extends Error {
  override name = 'YamlSyntaxError';
}

/**
 * `line 5, column 1: All mapping items must start at the same column (BAD_INDENT)`. The reason is
 * the library's first line without its position and without anything after a colon (some reasons
 * quote the source: `Unresolved tag: !…`).
 */
export function yamlErrorText(err: unknown): string {
  if (err instanceof YamlSyntaxError) return err.message;
  if (!(err instanceof YAMLError)) return err instanceof Error ? err.message : String(err);
  const reason = (err.message.split('\n')[0] ?? '')
    .replace(/ at line \d+, column \d+:?$/, '')
    .replace(/:.*$/, '')
    .slice(0, 120);
  const at = err.linePos?.[0];
  return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${reason} (${err.code})`;
}

/** Reads a .env file into variables (as compose reads it). */
export function readEnvFile(path: string): Record<string, string> {
  return existsSync(path) ? parseDotenv(readFileSync(path)) : {};
}

/** `${VAR}` and `${VAR:-default}` in smoke URLs come from the release's .env, as compose would expand them. */
export function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
    (_, name: string, fallback?: string) =>
      vars[name] !== undefined && vars[name] !== '' ? vars[name]! : (fallback ?? ''),
  );
}

/**
 * The release's .env: the source lines byte for byte, with each image variable set to its digest
 * ref (replaced where present, appended where not).
 */
export function pinEnv(source: string, refs: Record<string, string>): string {
  const pending = new Map(Object.entries(refs));
  const lines = source.length ? source.split('\n') : [];
  const trailingNewline = source.endsWith('\n');
  if (trailingNewline) lines.pop();
  const out = lines.map((line) => {
    const m = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    const name = m?.[2];
    if (name && refs[name] !== undefined) {
      pending.delete(name);
      return `${m![1]}${name}=${refs[name]}`;
    }
    return line;
  });
  for (const [name, ref] of pending) out.push(`${name}=${ref}`);
  return out.join('\n') + '\n';
}
