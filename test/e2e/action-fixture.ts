// The server side of the action's end-to-end tests: a real sshd on 127.0.0.1 (user with
// passwordless sudo), the real dockerd, an authenticated registry, and the server root and stack
// sources in temp dirs. One per test file; each test picks its stack and image tags.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { HistoryRecord } from '../../remote/domain/history.js';
import { parseEventLine, type DeployEvent } from '../../common/events.js';
import {
  buildAndPush,
  buildImage,
  docker,
  dockerOk,
  ensureDocker,
  freePort,
  makeTempDir,
  removeComposeProject,
  run,
  serverNode,
  startRegistry,
  startSshd,
  writeSampleStack,
  type AppVariant,
  type PushedImage,
  type Registry,
  type SampleStackOptions,
  type Sshd,
} from '../support/sandbox.js';
import type { SshdOptions } from '../support/sshd.js';

export interface TestImage extends PushedImage {
  /** Local image ID (what `docker image rm` needs to force a real pull). */
  imageId: string;
  /** A digest manifest (DESIGN.md section 3) for this image alone, as JSON text and as a file. */
  manifest: { git_sha: string; git_sha7: string; built_at_utc: string; images: Record<string, unknown> };
  manifestText: string;
  manifestFile: string;
}

export interface ServerSnapshot {
  link: string;
  manifest: string;
  releases: string[];
  verified: string[];
  containers: string;
  journals: string[];
}

export interface DeployServer {
  sshd: Sshd;
  registry: Registry;
  tmp: string;
  root: string;
  source: string;
  /** Writes a sample stack under the source dir; returns its name and app port. */
  addStack(opts?: Partial<SampleStackOptions> & { name?: string }): Promise<{ name: string; port: number }>;
  /** Builds and pushes an image for a new `sha-<hex>` tag (or `tag`), with its digest manifest. */
  image(opts?: { tag?: string; variant?: AppVariant; gitSha?: string; name?: string }): Promise<TestImage>;
  /** The inputs that point the action at this server (connection, srv_root, stacks_source, remote_node). */
  inputs(over?: Record<string, string | undefined>): Record<string, string | undefined>;
  currentManifest(stack: string): Record<string, unknown> | undefined;
  history(stack?: string): HistoryRecord[];
  journal(stack: string, runKey: string): DeployEvent[];
  snapshot(stack: string): Promise<ServerSnapshot>;
  /** Lines of the sshd log (LogLevel VERBOSE). */
  sshdLog(): string[];
  close(): Promise<void>;
}

/** The layout root as docs/server-setup.md creates it: `install -d -m 755 root root/releases ...`. */
export async function makeServerRoot(root: string): Promise<void> {
  for (const dir of [root, ...['releases', 'stacks', 'backups'].map((d) => path.join(root, d))]) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
  }
}

/** A random `sha-<7 hex>` tag (unique image content, so removing it locally touches no other test). */
export function randomShaTag(): string {
  return `sha-${randomBytes(4).toString('hex').slice(0, 7)}`;
}

export async function startDeployServer(opts: { sshd?: SshdOptions } = {}): Promise<DeployServer> {
  await ensureDocker();
  const [sshd, registry, tmp] = await Promise.all([
    startSshd(opts.sshd),
    startRegistry(),
    makeTempDir('action-e2e'),
  ]);
  const root = path.join(tmp, 'srv');
  const source = path.join(tmp, 'stacks');
  // As on a server set up by docs/server-setup.md (section 6: /srv, /srv/releases, ... 0755), the
  // deploy user can read the installed executor below the root without sudo; mkdtemp made tmp 0700.
  await chmod(tmp, 0o755);
  await makeServerRoot(root);
  const stacks = new Set<string>();
  const images = new Set<string>();

  const readJsonLines = <T>(file: string): T[] => {
    if (!existsSync(file)) return [];
    const out: T[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        // a torn last line is skipped, as readers of the history do
      }
    }
    return out;
  };
  const ls = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

  const server: DeployServer = {
    sshd,
    registry,
    tmp,
    root,
    source,
    async addStack(opts = {}) {
      const name = opts.name ?? `act-${randomBytes(3).toString('hex')}`;
      const port = await freePort();
      await writeSampleStack(path.join(source, name), { port, smokeTimeoutS: 8, ...opts });
      stacks.add(name);
      return { name, port };
    },
    async image(opts = {}) {
      const tag = opts.tag ?? randomShaTag();
      const pushed = await buildAndPush(registry, 'app', tag, opts.variant ?? 'ok');
      const imageId = await buildImage(opts.variant ?? 'ok', tag);
      images.add(imageId);
      const hex = /^sha-([0-9a-f]+)$/.exec(tag)?.[1] ?? '';
      const gitSha = opts.gitSha ?? (hex + randomBytes(20).toString('hex')).slice(0, 40);
      const manifest = {
        git_sha: gitSha,
        git_sha7: gitSha.slice(0, 7),
        built_at_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        images: { [opts.name ?? 'app']: { tag, ref: pushed.ref, digest: pushed.digest } },
      };
      const manifestText = JSON.stringify(manifest, null, 2) + '\n';
      const manifestFile = path.join(tmp, `image-digests-${tag}.json`);
      await writeFile(manifestFile, manifestText);
      return { ...pushed, imageId, manifest, manifestText, manifestFile };
    },
    inputs(over = {}) {
      return {
        host: sshd.host,
        port: String(sshd.port),
        username: sshd.user,
        private_key: sshd.privateKey,
        host_key: sshd.knownHostsLine,
        srv_root: root,
        stacks_source: source,
        remote_node: serverNode(),
        ...over,
      };
    },
    currentManifest(stack) {
      const file = path.join(root, 'releases', 'current', `${stack}.json`);
      return existsSync(file)
        ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
        : undefined;
    },
    history(stack) {
      return readJsonLines<HistoryRecord>(path.join(root, 'releases', 'deploy_history.log')).filter(
        (r) => stack === undefined || r.stack === stack,
      );
    },
    journal(stack, runKey) {
      const file = path.join(root, 'releases', 'runs', stack, `${runKey}.jsonl`);
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8')
        .split('\n')
        .map(parseEventLine)
        .filter((e): e is DeployEvent => Boolean(e));
    },
    async snapshot(stack) {
      const link = path.join(root, 'stacks', stack);
      const manifestFile = path.join(root, 'releases', 'current', `${stack}.json`);
      const ids = (
        await dockerOk(['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${stack}`])
      ).stdout
        .split('\n')
        .filter(Boolean)
        .sort();
      return {
        link: existsSync(link) ? readlinkSync(link) : '',
        manifest: existsSync(manifestFile) ? await readFile(manifestFile, 'utf8') : '',
        releases: ls(path.join(root, 'releases', 'stacks', stack)),
        verified: ls(path.join(root, 'releases', 'verified')),
        containers: ids.join(','),
        journals: ls(path.join(root, 'releases', 'runs', stack)),
      };
    },
    sshdLog() {
      const file = path.join(sshd.dir, 'sshd.log');
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    },
    async close() {
      for (const s of stacks) await removeComposeProject(s).catch(() => undefined);
      // Tags are random per run, so these images belong to this file alone.
      if (images.size)
        await docker(['image', 'rm', '--force', '--no-prune', ...images]).catch(() => undefined);
      await Promise.all([sshd.stop(), registry.stop()]);
    },
  };
  return server;
}

/** `{{.Image}}` (image ID) and `{{.Config.Image}}` (the reference compose used) of a project's containers. */
export async function runningImages(project: string): Promise<{ id: string; ref: string; state: string }[]> {
  const ids = (
    await dockerOk(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])
  ).stdout
    .split('\n')
    .filter(Boolean);
  if (!ids.length) return [];
  const out = await dockerOk([
    'inspect',
    '--format',
    '{{.Image}} {{.Config.Image}} {{.State.Status}}',
    ...ids,
  ]);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id = '', ref = '', state = ''] = l.split(' ');
      return { id, ref, state };
    });
}

/** RepoDigests of a local image (`host/repo@sha256:...`). */
export async function repoDigests(imageId: string): Promise<string[]> {
  const out = await dockerOk(['image', 'inspect', '--format', '{{json .RepoDigests}}', imageId]);
  return JSON.parse(out.stdout) as string[];
}

/**
 * A TCP listener that counts connection attempts: pointing `host`/`port` at it proves the
 * action never tried to connect (it would show up here, and fail the SSH handshake).
 */
export async function startTripwire(): Promise<{
  port: number;
  connections: () => number;
  close(): Promise<void>;
}> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Files under `dirs` whose content holds any of `needles` (grep -rlF, devices/fifos skipped). */
export async function filesContaining(needles: string[], dirs: string[]): Promise<string[]> {
  const existing = dirs.filter((d) => existsSync(d));
  if (!existing.length) return [];
  const res = await run('grep', [
    '-rlsF',
    '-D',
    'skip',
    // Console captures of whatever runs the tests (job runners' scratch dirs), not server files.
    '--exclude-dir=bash_jobs.*',
    '--exclude-dir=bash_tool_*',
    ...needles.flatMap((n) => ['-e', n]),
    '--',
    ...existing,
  ]);
  return res.stdout.split('\n').filter(Boolean);
}
