// The inputs that say what to run (mode, stack, environment, image tag and mapping, break glass,
// rollback depth, limits, who and which run) and the GitHub context that fills their defaults.
import * as z from 'zod';
import { parseImageLines } from '../../common/image-lines.js';
import { ENV_RE, STACK_RE, TAG_RE, type ImageMapping } from '../../common/names.js';
import { boolean, integer, issue, matching, oneOf, text, type Problems, type Values } from './fields.js';

export const MODES = ['deploy', 'rollback', 'verify', 'status', 'manifest'] as const;
export type Mode = (typeof MODES)[number];

/** images: ENV_VAR=image-name per line or comma-separated (the grammar of common/image-lines.ts). */
const imagesInput = z.string().transform((v, ctx) => {
  if (v === '') return undefined;
  const { mapping, problems } = parseImageLines(v);
  for (const p of problems) issue(ctx, `images: line ${p.line}: ${p.message}`);
  return Object.keys(mapping).length ? mapping : undefined;
});

export const RUN_FIELDS = {
  mode: oneOf('mode', MODES),
  environment: matching(
    'environment',
    ENV_RE,
    "1-32 characters of a-z, 0-9 and '-', starting with a letter (e.g. staging)",
  ),
  stack: matching(
    'stack',
    STACK_RE,
    "1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit (e.g. odoo18)",
  ),
  image_tag: matching(
    'image_tag',
    TAG_RE,
    "a Docker tag: 1-128 characters of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-' (e.g. sha-abc1234)",
  ),
  images: imagesInput,
  break_glass: boolean('break_glass'),
  break_glass_reason: text('break_glass_reason', 1000),
  steps_back: integer('steps_back', 1, 100),
  keep_releases: integer('keep_releases', 1, 1000),
  lock_timeout: integer('lock_timeout', 0, 86400, ' (seconds)'),
  timeout_minutes: integer('timeout_minutes', 1, 1440, ' (minutes)'),
  reconnect_timeout: integer('reconnect_timeout', 0, 3600, ' (seconds)'),
  actor: text('actor', 200),
  run_id: text('run_id', 100),
};

/** What the workflow run's environment says (GITHUB_*), read once. */
export interface GithubContext {
  repository?: { owner: string; repo: string };
  /** GITHUB_RUN_ID as given. */
  runId: string;
  /** GITHUB_RUN_ID when it is a number. */
  currentRunId?: number;
  runAttempt: string;
  actor: string;
  sha: string;
  /** Link to this workflow run, when the context has one. */
  runUrl?: string;
}

export function githubContext(env: NodeJS.ProcessEnv): GithubContext {
  const repo = /^([^/\s]+)\/([^/\s]+)$/.exec(env.GITHUB_REPOSITORY ?? '');
  const currentRunId = /^\d+$/.test(env.GITHUB_RUN_ID ?? '') ? Number(env.GITHUB_RUN_ID) : undefined;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  return {
    repository: repo ? { owner: repo[1]!, repo: repo[2]! } : undefined,
    runId: env.GITHUB_RUN_ID ?? '',
    currentRunId,
    runAttempt: /^\d+$/.test(env.GITHUB_RUN_ATTEMPT ?? '') ? env.GITHUB_RUN_ATTEMPT! : '1',
    actor: env.GITHUB_ACTOR ?? '',
    sha: env.GITHUB_SHA ?? '',
    runUrl: repo && currentRunId ? `${server}/${repo[1]}/${repo[2]}/actions/runs/${currentRunId}` : undefined,
  };
}

export interface RunSettings {
  mode: Mode;
  stack?: string;
  environment?: string;
  imageTag?: string;
  images?: ImageMapping;
  breakGlass: boolean;
  breakGlassReason: string;
  stepsBack: number;
  keepReleases?: number;
  lockTimeoutS: number;
  timeoutMinutes: number;
  reconnectTimeoutS: number;
  actor: string;
  runId: string;
  runAttempt: string;
  /** Link to this workflow run, when the GitHub context has one (used as the verify note). */
  runUrl?: string;
}

type RunValues = Values<typeof RUN_FIELDS>;

/** The run settings from their parsed inputs; break_glass needs its reason. */
export function runSettings(v: RunValues, mode: Mode, ctx: GithubContext, p: Problems): RunSettings {
  const breakGlass = v.break_glass ?? false;
  if (breakGlass && !v.break_glass_reason?.trim() && !p.failed.has('break_glass_reason'))
    p.add(
      'break_glass_reason: required (non-blank) when break_glass is true; say why the verification gate is bypassed',
    );
  return {
    mode,
    stack: v.stack,
    environment: v.environment,
    imageTag: v.image_tag,
    images: v.images,
    breakGlass,
    breakGlassReason: (v.break_glass_reason ?? '').trim(),
    stepsBack: v.steps_back ?? 1,
    keepReleases: v.keep_releases,
    lockTimeoutS: v.lock_timeout ?? 600,
    timeoutMinutes: v.timeout_minutes ?? 30,
    reconnectTimeoutS: v.reconnect_timeout ?? 120,
    actor: v.actor || ctx.actor,
    runId: v.run_id || ctx.runId,
    runAttempt: ctx.runAttempt,
    runUrl: ctx.runUrl,
  };
}
