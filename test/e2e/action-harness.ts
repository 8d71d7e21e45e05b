// Runs the committed dist/index.js the way the GitHub Actions runner runs a `node24` action:
// Node 24, INPUT_<NAME> variables (with action.yml's defaults filled in for inputs not given, as
// the runner does), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_ENV / GITHUB_PATH / GITHUB_STATE
// files, the GITHUB_* and RUNNER_* context variables, cwd = GITHUB_WORKSPACE. The result carries
// the parsed outputs (`name<<delimiter` blocks), the step summary and the workflow commands of the
// log (`::group::`, `::endgroup::`, `::error::`, `::warning::`, `::add-mask::`, ...).
//
// The action can be started as a child process to signal (SIGTERM, as the runner does when a job
// is cancelled), and hooks can act when a log line appears (e.g. cut SSH when the `up` step starts).
//
// Not set unless a test passes them in `env`: ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL (the
// runner sets them; here they would point at the real results service), so nothing leaves
// 127.0.0.1 unless a test provides a stand-in.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT, makeTempDir, runnerNode } from '../support/sandbox.js';

export const ACTION_JS = path.join(REPO_ROOT, 'dist', 'index.js');
export const ACTION_YML = path.join(REPO_ROOT, 'action.yml');

// ---- action.yml -----------------------------------------------------------------------------

export interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string | number | boolean;
  deprecationMessage?: string;
}
export interface ActionMetadata {
  name: string;
  description: string;
  inputs?: Record<string, ActionInput>;
  outputs?: Record<string, { description?: string; value?: string }>;
  runs: { using: string; main?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export function readActionMetadata(file = ACTION_YML): ActionMetadata {
  return parseYaml(readFileSync(file, 'utf8')) as ActionMetadata;
}

/** The variable the runner sets for an input: upper case, spaces to '_', hyphens kept. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

// ---- the GitHub context ---------------------------------------------------------------------

export interface GitHubContext {
  actor: string;
  runId: string;
  runNumber: string;
  runAttempt: string;
  /** owner/name */
  repository: string;
  sha: string;
  ref: string;
  workflow: string;
  job: string;
  /** GITHUB_ACTION: the step's id (`__owner_repo` when the step has none). */
  action: string;
  eventName: string;
  serverUrl: string;
  apiUrl: string;
  graphqlUrl: string;
  /** What `${{ github.token }}` evaluates to. */
  token: string;
}

export function defaultContext(): GitHubContext {
  return {
    actor: 'octocat',
    runId: '4242',
    runNumber: '17',
    runAttempt: '1',
    repository: 'org/app',
    sha: 'f'.repeat(40),
    ref: 'refs/heads/main',
    workflow: 'deploy',
    job: 'deploy',
    action: 'deploy',
    eventName: 'workflow_dispatch',
    serverUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
    graphqlUrl: 'https://api.github.com/graphql',
    token: `ghs_${randomBytes(18).toString('hex')}`,
  };
}

/** Evaluates the `${{ ... }}` expressions action.yml defaults may hold (the context values only). */
export function evaluateDefault(value: string, ctx: GitHubContext): string {
  const known: Record<string, string> = {
    'github.token': ctx.token,
    'github.actor': ctx.actor,
    'github.run_id': ctx.runId,
    'github.run_number': ctx.runNumber,
    'github.run_attempt': ctx.runAttempt,
    'github.repository': ctx.repository,
    'github.repository_owner': ctx.repository.split('/')[0] ?? '',
    'github.sha': ctx.sha,
    'github.ref': ctx.ref,
    'github.server_url': ctx.serverUrl,
    'github.api_url': ctx.apiUrl,
    'github.workflow': ctx.workflow,
    'github.job': ctx.job,
    'github.event_name': ctx.eventName,
  };
  return value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in known)) throw new Error(`action-harness: cannot evaluate \${{ ${expr} }} in a default`);
    return known[expr]!;
  });
}

// ---- files the runner reads back ------------------------------------------------------------

/** Parses a GITHUB_OUTPUT (or GITHUB_ENV) file: `name<<delimiter` blocks and `name=value` lines. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`unterminated value of ${name} (delimiter ${delimiter})`);
      out[name] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`invalid line in a command file: ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

// ---- workflow commands in the log -----------------------------------------------------------

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
  /** Index of the stdout line. */
  index: number;
}

const unescapeData = (s: string) => s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/gi, ':').replace(/%2C/gi, ',');

/** `::name k=v,k2=v2::message` as the runner reads it (escapes undone), or undefined. */
export function parseWorkflowCommand(line: string, index = 0): WorkflowCommand | undefined {
  const m = /^::([A-Za-z][A-Za-z0-9-]*)(?: ([^:]*))?::(.*)$/.exec(line);
  if (!m) return undefined;
  const properties: Record<string, string> = {};
  for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq > 0) properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
  }
  return { command: m[1]!, properties, message: unescapeData(m[3] ?? ''), index };
}

export interface LogGroup {
  title: string;
  /** The lines printed inside the group. */
  lines: string[];
  closed: boolean;
}

// ---- running the action ---------------------------------------------------------------------

export interface ActionResult {
  /** Exit code; null when ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() just before the spawn; durationMs is from then to the process's close. */
  startedAt: number;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** stdout split into lines. */
  lines: string[];
  outputs: Record<string, string>;
  summary: string;
  commands: WorkflowCommand[];
  groups: LogGroup[];
  /** Malformed group structure: a group opened inside another, an endgroup without a group, ... */
  groupProblems: string[];
  errors: string[];
  warnings: string[];
  masks: string[];
  /** Lines a reader of the job log sees (everything but ::add-mask::), stdout and stderr. */
  visibleLines: string[];
  /** The temp dir holding GITHUB_WORKSPACE, RUNNER_TEMP and the command files. */
  workDir: string;
  env: NodeJS.ProcessEnv;
}

export interface ActionControl {
  child: ChildProcess;
  /** stdout lines so far. */
  lines: string[];
  kill(signal: NodeJS.Signals): void;
}

export interface LineHook {
  /** Fires (once) on the first stdout line that matches. */
  match: RegExp | string | ((line: string) => boolean);
  run: (ctl: ActionControl, line: string) => unknown;
}

export interface ActionOptions {
  /** Inputs given in `with:`; undefined = not given (action.yml's default applies). */
  inputs: Record<string, string | undefined>;
  context?: Partial<GitHubContext>;
  /** Extra environment (test knobs, ACTIONS_RUNTIME_TOKEN, ...). */
  env?: NodeJS.ProcessEnv;
  hooks?: LineHook[];
  /** SIGKILL after this long (default 180 s); the result then has signal SIGKILL. */
  timeoutMs?: number;
  /** Echo the action's output to this process's stdout (debugging). */
  echo?: boolean;
}

export interface RunningAction {
  child: ChildProcess;
  env: NodeJS.ProcessEnv;
  workDir: string;
  /** Resolves with the first stdout line that matches (rejects if the action exits first). */
  waitForLine(match: RegExp | string, timeoutMs?: number): Promise<string>;
  done: Promise<ActionResult>;
}

const matches = (m: LineHook['match'], line: string) =>
  typeof m === 'string' ? line.includes(m) : m instanceof RegExp ? m.test(line) : m(line);

/** The files the runner creates for a step and reads back afterwards. */
export interface RunnerFiles {
  output: string;
  summary: string;
  env: string;
  path: string;
  state: string;
  event: string;
}

/** The runner's environment for one step of this action, with its command files created. */
export async function runnerEnvironment(
  opts: Pick<ActionOptions, 'inputs' | 'context' | 'env'>,
): Promise<{ env: NodeJS.ProcessEnv; workDir: string; files: RunnerFiles }> {
  const ctx = { ...defaultContext(), ...opts.context };
  const workDir = await makeTempDir('action');
  const workspace = path.join(workDir, 'workspace');
  const runnerTemp = path.join(workDir, 'runner-temp');
  const fileCommands = path.join(runnerTemp, '_runner_file_commands');
  await mkdir(workspace, { recursive: true });
  await mkdir(fileCommands, { recursive: true });
  const stepId = randomUUID();
  const files: RunnerFiles = {
    output: path.join(fileCommands, `set_output_${stepId}`),
    summary: path.join(fileCommands, `step_summary_${stepId}`),
    env: path.join(fileCommands, `set_env_${stepId}`),
    path: path.join(fileCommands, `add_path_${stepId}`),
    state: path.join(fileCommands, `save_state_${stepId}`),
    event: path.join(workDir, 'event.json'),
  };
  for (const f of Object.values(files)) await writeFile(f, '');
  await writeFile(
    files.event,
    JSON.stringify({ inputs: {}, ref: ctx.ref, repository: { full_name: ctx.repository } }),
  );
  const [owner] = ctx.repository.split('/');

  const inputs: NodeJS.ProcessEnv = {};
  const meta = readActionMetadata();
  for (const [name, spec] of Object.entries(meta.inputs ?? {})) {
    const given = opts.inputs[name];
    if (given !== undefined) inputs[inputEnvName(name)] = given;
    else if (spec.default !== undefined)
      inputs[inputEnvName(name)] = evaluateDefault(String(spec.default), ctx);
  }
  for (const name of Object.keys(opts.inputs))
    if (!(name in (meta.inputs ?? {})))
      throw new Error(`action-harness: input ${name} is not declared in action.yml (the runner would warn)`);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTOR: ctx.actor,
    GITHUB_ACTOR_ID: '583231',
    GITHUB_TRIGGERING_ACTOR: ctx.actor,
    GITHUB_RUN_ID: ctx.runId,
    GITHUB_RUN_NUMBER: ctx.runNumber,
    GITHUB_RUN_ATTEMPT: ctx.runAttempt,
    GITHUB_REPOSITORY: ctx.repository,
    GITHUB_REPOSITORY_OWNER: owner,
    GITHUB_REPOSITORY_ID: '123456789',
    GITHUB_SHA: ctx.sha,
    GITHUB_REF: ctx.ref,
    GITHUB_REF_NAME: ctx.ref.replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_REF_TYPE: ctx.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_WORKFLOW: ctx.workflow,
    GITHUB_WORKFLOW_REF: `${ctx.repository}/.github/workflows/${ctx.workflow}.yml@${ctx.ref}`,
    GITHUB_JOB: ctx.job,
    GITHUB_ACTION: ctx.action,
    GITHUB_ACTION_REPOSITORY: 'org/seisei-deploy',
    GITHUB_ACTION_REF: 'v1',
    GITHUB_ACTION_PATH: REPO_ROOT,
    GITHUB_EVENT_NAME: ctx.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_WORKSPACE: workspace,
    GITHUB_SERVER_URL: ctx.serverUrl,
    GITHUB_API_URL: ctx.apiUrl,
    GITHUB_GRAPHQL_URL: ctx.graphqlUrl,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STATE: files.state,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: path.join(workDir, 'toolcache'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'seisei-test-runner',
    RUNNER_ENVIRONMENT: 'github-hosted',
    ...inputs,
    ...opts.env,
  };
  return { env, workDir, files };
}

/** Starts dist/index.js as the runner does; see RunningAction. */
export async function startAction(opts: ActionOptions): Promise<RunningAction> {
  const { env, workDir, files } = await runnerEnvironment(opts);
  const started = Date.now();
  const child = spawn(runnerNode(), [ACTION_JS], {
    cwd: env.GITHUB_WORKSPACE,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  const ctl: ActionControl = { child, lines, kill: (sig) => child.kill(sig) };
  const pending = [...(opts.hooks ?? [])];
  const hookRuns: Promise<unknown>[] = [];
  const waiters = new Set<{
    match: RegExp | string;
    resolve: (l: string) => void;
    reject: (e: Error) => void;
  }>();

  const onLine = (line: string) => {
    lines.push(line);
    for (const hook of [...pending]) {
      if (!matches(hook.match, line)) continue;
      pending.splice(pending.indexOf(hook), 1);
      hookRuns.push(Promise.resolve().then(() => hook.run(ctl, line)));
    }
    for (const w of [...waiters])
      if (matches(w.match, line)) {
        waiters.delete(w);
        w.resolve(line);
      }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (opts.echo) process.stdout.write(d);
    stdout += d;
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    for (const l of parts) onLine(l.replace(/\r$/, ''));
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (opts.echo) process.stderr.write(d);
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });

  let finished = false;
  const done = exited.then(async ({ code, signal }) => {
    finished = true;
    clearTimeout(timer);
    if (partial) onLine(partial);
    for (const w of waiters) w.reject(new Error(`the action exited without a line matching ${w.match}`));
    waiters.clear();
    const hookResults = await Promise.allSettled(hookRuns);
    const failed = hookResults.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw new Error(`a line hook failed: ${(failed.reason as Error)?.stack ?? failed.reason}`);
    return analyse({
      code,
      signal,
      startedAt: started,
      durationMs: Date.now() - started,
      stdout,
      stderr,
      lines,
      outputs: parseCommandFile(await readFile(files.output, 'utf8')),
      summary: await readFile(files.summary, 'utf8'),
      workDir,
      env,
    });
  });

  return {
    child,
    env,
    workDir,
    done,
    waitForLine(match, timeoutMs = 60_000) {
      const hit = lines.find((l) => matches(match, l));
      if (hit !== undefined) return Promise.resolve(hit);
      if (finished) return Promise.reject(new Error(`the action exited without a line matching ${match}`));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no line matching ${match} within ${timeoutMs} ms`));
        }, timeoutMs);
        const w = {
          match,
          resolve: (l: string) => {
            clearTimeout(t);
            resolve(l);
          },
          reject: (e: Error) => {
            clearTimeout(t);
            reject(e);
          },
        };
        waiters.add(w);
      });
    },
  };
}

/** Runs dist/index.js to the end; see ActionResult. */
export async function runAction(opts: ActionOptions): Promise<ActionResult> {
  return (await startAction(opts)).done;
}

type RawResult = Pick<
  ActionResult,
  | 'code'
  | 'signal'
  | 'startedAt'
  | 'durationMs'
  | 'stdout'
  | 'stderr'
  | 'lines'
  | 'outputs'
  | 'summary'
  | 'workDir'
  | 'env'
>;

function analyse(r: RawResult): ActionResult {
  const commands: WorkflowCommand[] = [];
  const groups: LogGroup[] = [];
  const groupProblems: string[] = [];
  let open: LogGroup | undefined;
  r.lines.forEach((line, i) => {
    const c = parseWorkflowCommand(line, i);
    if (c) commands.push(c);
    if (c?.command === 'group') {
      if (open) groupProblems.push(`line ${i + 1}: group "${c.message}" opened inside "${open.title}"`);
      open = { title: c.message, lines: [], closed: false };
      groups.push(open);
    } else if (c?.command === 'endgroup') {
      if (!open) groupProblems.push(`line ${i + 1}: endgroup without an open group`);
      else open.closed = true;
      open = undefined;
    } else if (open) open.lines.push(line);
  });
  if (open) groupProblems.push(`group "${open.title}" is never closed`);
  const of = (name: string) => commands.filter((c) => c.command === name).map((c) => c.message);
  const visibleLines = [...r.lines, ...r.stderr.split('\n')].filter((l) => !l.startsWith('::add-mask::'));
  return {
    ...r,
    commands,
    groups,
    groupProblems,
    errors: of('error'),
    warnings: of('warning'),
    masks: of('add-mask'),
    visibleLines,
  };
}

/** A readable digest of a run for assertion messages. */
export function describeRun(r: ActionResult): string {
  const log = r.visibleLines.join('\n');
  return `exit ${r.code ?? r.signal} after ${r.durationMs} ms\n--- log ---\n${log.slice(-6000)}\n--- outputs ---\n${JSON.stringify(r.outputs, null, 2)}`;
}
