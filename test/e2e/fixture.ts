// One isolated deploy target for executor tests: a temp root and stack source, a registry with
// authentication, images built here, and the committed dist/remote.cjs run as the server runs it.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseEventLine, type ResultEvent, type DeployEvent } from '../../common/events.js';
import type { HistoryRecord } from '../../remote/domain/history.js';
import {
  REPO_ROOT,
  buildAndPush,
  dockerOk,
  ensureDocker,
  freePort,
  makeTempDir,
  removeComposeProject,
  run,
  serverNode,
  startRegistry,
  writeSampleStack,
  type AppVariant,
  type PushedImage,
  type Registry,
  type RunResult,
  type SampleStackOptions,
} from '../support/sandbox.js';

export const REMOTE_JS = path.join(REPO_ROOT, 'dist', 'remote.cjs');

export interface CliRun extends RunResult {
  events: DeployEvent[];
  result: ResultEvent | undefined;
}

export interface Target {
  registry: Registry;
  root: string;
  source: string;
  stack: string;
  port: number;
  tmp: string;
  /** Builds and pushes an image for `tag`; the manifest file for it is written too. */
  image(tag: string, variant?: AppVariant): Promise<PushedImage & { manifest: string }>;
  /** Runs the executor CLI as root with --root/--source set and --json. */
  cli(args: string[], env?: NodeJS.ProcessEnv): Promise<CliRun>;
  deploy(tag: string, env?: string, extra?: string[], stack?: string): Promise<CliRun>;
  /** `--registry … --registry-password-file F` with a fresh password file (the executor reads it and leaves it). */
  registryArgs(): Promise<string[]>;
  history(): Promise<HistoryRecord[]>;
  manifest(stack?: string): Promise<Record<string, unknown> | undefined>;
  addStack(name: string, opts?: Partial<SampleStackOptions>): Promise<number>;
  close(): Promise<void>;
}

/** `node`: the server's Node.js that runs the executor (default: serverNode()). */
export async function startTarget(
  opts: Partial<SampleStackOptions> = {},
  { node = serverNode() }: { node?: string } = {},
): Promise<Target> {
  await ensureDocker();
  const registry = await startRegistry();
  const tmp = await makeTempDir('e2e');
  const root = path.join(tmp, 'srv');
  const source = path.join(tmp, 'stacks');
  const stack = `e2e-${randomBytes(3).toString('hex')}`;
  const stacks = new Set<string>();
  const addStack = async (name: string, o: Partial<SampleStackOptions> = {}) => {
    const port = await freePort();
    await writeSampleStack(path.join(source, name), { port, smokeTimeoutS: 8, ...opts, ...o });
    stacks.add(name);
    return port;
  };
  const port = await addStack(stack);
  let deploys = 0;
  const digestFiles = new Map<string, string>();

  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> => {
    const r = await run(node, [REMOTE_JS, ...args, '--root', root, '--source', source, '--json'], {
      env: { ...process.env, ...env },
    });
    const events = r.stdout
      .split('\n')
      .map(parseEventLine)
      .filter((e): e is DeployEvent => Boolean(e));
    return { ...r, events, result: events.find((e): e is ResultEvent => e.type === 'result') };
  };
  const t: Target = {
    registry,
    root,
    source,
    stack,
    port,
    tmp,
    cli,
    addStack,
    async image(tag, variant = 'ok') {
      const pushed = await buildAndPush(registry, 'app', tag, variant);
      const manifest = path.join(tmp, `digests-${tag}.json`);
      await writeFile(manifest, JSON.stringify(digestManifest(tag, { app: pushed })));
      digestFiles.set(tag, manifest);
      return { ...pushed, manifest };
    },
    async registryArgs() {
      const passwordFile = path.join(tmp, `registry-password-${++deploys}`);
      await writeFile(passwordFile, registry.password, { mode: 0o600 });
      return [
        '--registry',
        registry.host,
        '--registry-username',
        registry.user,
        '--registry-password-file',
        passwordFile,
      ];
    },
    async deploy(tag, env = 'staging', extra = [], name = stack) {
      const manifest = digestFiles.get(tag) ?? (await t.image(tag)).manifest;
      return cli([
        'deploy',
        name,
        env,
        tag,
        '--digest-file',
        manifest,
        '--actor',
        'tester',
        '--run-id',
        '77',
        ...(await t.registryArgs()),
        ...extra,
      ]);
    },
    async history() {
      const text = await readFile(path.join(root, 'releases', 'deploy_history.log'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as HistoryRecord);
    },
    async manifest(name = stack) {
      const text = await readFile(path.join(root, 'releases', 'current', `${name}.json`), 'utf8').catch(
        () => undefined,
      );
      return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
    },
    async close() {
      for (const s of stacks) await removeComposeProject(s);
      await registry.stop();
    },
  };
  await mkdir(root, { recursive: true });
  return t;
}

export function digestManifest(tag: string, images: Record<string, PushedImage>) {
  const sha = randomBytes(20).toString('hex');
  return {
    git_sha: sha,
    git_sha7: sha.slice(0, 7),
    built_at_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    images: Object.fromEntries(
      Object.entries(images).map(([name, p]) => [name, { tag, ref: p.ref, digest: p.digest }]),
    ),
  };
}

/** Removes an image from the local store so the next deploy must pull it from the registry. */
export async function forgetLocally(ref: string, tag: string, registry: Registry): Promise<void> {
  await dockerOk(['image', 'rm', '--force', '--no-prune', ref, `${registry.host}/app:${tag}`]).catch(
    () => undefined,
  );
}

export async function containerImages(project: string): Promise<string[]> {
  const ids = (await dockerOk(['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`])).stdout
    .split('\n')
    .filter(Boolean);
  if (!ids.length) return [];
  const out = await dockerOk(['inspect', '--format', '{{.Config.Image}}', ...ids]);
  return out.stdout.split('\n').filter(Boolean);
}

export async function allContainers(project: string): Promise<string[]> {
  return (await dockerOk(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).stdout
    .split('\n')
    .filter(Boolean);
}
