// Tiny test images built from nothing (scratch + static busybox) and pushed to a test registry.
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { docker, dockerEnv, dockerOk } from './docker.js';
import { registryLogin, type RegistryAccess } from './registry.js';
import { makeTempDir } from './util.js';

/**
 * Behaviours of the test app, an HTTP server (busybox httpd) on container port 8080:
 * - ok:        GET /health -> 200 `ok <tag>`
 * - not-found: /health missing -> 404
 * - error500:  GET /cgi-bin/health -> 500 (and /health -> 404)
 * - crash:     never serves: logs a fatal error and exits with code 1 after ~0.5 s
 * - unhealthy: like ok, but its Docker HEALTHCHECK always fails (unhealthy after ~1-2 s)
 * - healthy:   like ok, with a HEALTHCHECK on /health that passes (1 s interval)
 * - slow-start: like ok, but /health appears only SLOW_START_S seconds after start (404 before);
 *               the container's environment variable SLOW_START_S (seconds, may be fractional) overrides it
 */
export type AppVariant = 'ok' | 'not-found' | 'error500' | 'crash' | 'unhealthy' | 'healthy' | 'slow-start';

export const APP_VARIANTS: readonly AppVariant[] = [
  'ok',
  'not-found',
  'error500',
  'crash',
  'unhealthy',
  'healthy',
  'slow-start',
];

/** Seconds after start before the slow-start variant answers on /health. */
export const SLOW_START_S = 3;

/** Container port of the test app. */
export const APP_PORT_IN_CONTAINER = 8080;

/**
 * A CGI path served by every variant: 200 `ok <tag>` where /health works, 404 for not-found,
 * 500 for error500. Use it as the smoke path when one stack rolls between variants.
 */
export const CGI_HEALTH_PATH = '/cgi-bin/health';

/** The path whose answer shows the variant's behaviour (busybox httpd cannot fail a static file). */
export function healthPath(variant: AppVariant): string {
  return variant === 'error500' ? CGI_HEALTH_PATH : '/health';
}

export interface PushedImage {
  /** host/repo@sha256:<64 hex> */
  ref: string;
  /** sha256:<64 hex> */
  digest: string;
  tag: string;
}

const HTTPD = ['/bin/httpd', '-f', '-v', '-p', String(APP_PORT_IN_CONTAINER), '-h', '/www'];

const HEALTHCHECKS: Partial<Record<AppVariant, string[]>> = {
  unhealthy: ['/bin/false'],
  healthy: ['/bin/wget', '-q', '-O-', `http://127.0.0.1:${APP_PORT_IN_CONTAINER}/health`],
};

function command(variant: AppVariant): string[] {
  if (variant === 'slow-start')
    return [
      '/bin/sh',
      '-c',
      `(sleep \${SLOW_START_S:-${SLOW_START_S}}; mv /www/health.later /www/health) & exec ${HTTPD.join(' ')}`,
    ];
  if (variant !== 'crash') return HTTPD;
  return ['/bin/sh', '-c', 'echo "fatal: cannot start" >&2; sleep 0.5; exit 1'];
}

function dockerfile(variant: AppVariant, tag: string): string {
  const check = HEALTHCHECKS[variant];
  return [
    'FROM scratch',
    'COPY busybox /bin/busybox',
    'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
    'COPY www /www',
    `LABEL org.seisei.test.variant="${variant}" org.seisei.test.tag="${tag}"`,
    // httpd as PID 1 ignores SIGTERM: without this every `docker stop` waits 10 s.
    'STOPSIGNAL SIGKILL',
    `EXPOSE ${APP_PORT_IN_CONTAINER}`,
    check ? `HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD ${JSON.stringify(check)}` : '',
    `CMD ${JSON.stringify(command(variant))}`,
    '',
  ].join('\n');
}

function cgiScript(variant: AppVariant): string {
  const [status, body] =
    variant === 'error500'
      ? ['500 Internal Server Error', 'echo "error500 $(cat /www/version)"']
      : ['200 OK', 'cat /www/health'];
  return `#!/bin/sh\nprintf 'Status: ${status}\\r\\nContent-Type: text/plain\\r\\n\\r\\n'\n${body}\n`;
}

/** Writes the build context; /www/version holds the tag, so every tag has its own digest. */
async function writeContext(dir: string, variant: AppVariant, tag: string): Promise<void> {
  const www = path.join(dir, 'www');
  await mkdir(path.join(www, 'cgi-bin'), { recursive: true });
  await copyFile('/bin/busybox', path.join(dir, 'busybox'));
  await writeFile(path.join(www, 'version'), `${tag}\n`);
  if (variant !== 'not-found') {
    const health = variant === 'slow-start' ? 'health.later' : 'health';
    if (variant !== 'error500') await writeFile(path.join(www, health), `ok ${tag}\n`);
    await writeFile(path.join(www, 'cgi-bin', 'health'), cgiScript(variant), { mode: 0o755 });
  }
  await writeFile(path.join(dir, 'Dockerfile'), dockerfile(variant, tag));
}

// Same variant + tag = same content: build it once per process. Tests that remove an image to force
// a pull use --no-prune, so the builder's cached intermediate images stay for concurrent builds.
const builds = new Map<string, Promise<string>>();

/** Builds (or reuses) the image for a variant and tag; returns its local image ID. */
export async function buildImage(variant: AppVariant, tag: string): Promise<string> {
  const key = `${variant}\0${tag}`;
  const cached = builds.get(key);
  // A test may have removed the image since (e.g. to force a pull): then build it again.
  if (cached && (await imageExists(await cached.catch(() => '')))) return cached;
  const build = buildUncached(variant, tag);
  builds.set(key, build);
  build.catch(() => builds.delete(key));
  return build;
}

async function imageExists(id: string): Promise<boolean> {
  return id !== '' && (await docker(['image', 'inspect', '--format', '{{.Id}}', id])).code === 0;
}

async function buildUncached(variant: AppVariant, tag: string): Promise<string> {
  const dir = await makeTempDir('image');
  try {
    await writeContext(dir, variant, tag);
    const { stdout } = await dockerOk(['build', '-q', dir]);
    return stdout.trim().split('\n').pop() ?? '';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// docker-registry's filesystem storage answers 500 when two pushes upload the same layer at once:
// pushes to one registry go one after the other.
const pushQueues = new Map<string, Promise<unknown>>();
function oneAtATime<T>(key: string, job: () => Promise<T>): Promise<T> {
  const next = (pushQueues.get(key) ?? Promise.resolve()).catch(() => undefined).then(job);
  pushQueues.set(key, next);
  return next;
}

/** Builds the variant, pushes it as `<host>/<repo>:<tag>` and returns its digest reference. */
export async function buildAndPush(
  registry: RegistryAccess,
  repo: string,
  tag: string,
  variant: AppVariant,
): Promise<PushedImage> {
  const imageId = await buildImage(variant, tag);
  const name = `${registry.host}/${repo}:${tag}`;
  await dockerOk(['tag', imageId, name]);
  const env = await dockerEnv({ DOCKER_CONFIG: await loginOnce(registry) });
  const { stdout } = await oneAtATime(registry.host, () => dockerOk(['push', name], { env }));
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(stdout)?.[1];
  if (!digest) throw new Error(`no digest in docker push output:\n${stdout}`);
  return { ref: `${registry.host}/${repo}@${digest}`, digest, tag };
}

export interface TestImageSpec {
  tag: string;
  variant: AppVariant;
}

/** buildAndPush for several tags of one repository, in order. */
export async function buildTestImages(
  registry: RegistryAccess,
  opts: { repo: string; images: TestImageSpec[] },
): Promise<PushedImage[]> {
  const pushed: PushedImage[] = [];
  for (const { tag, variant } of opts.images)
    pushed.push(await buildAndPush(registry, opts.repo, tag, variant));
  return pushed;
}

const logins = new Map<string, Promise<string>>();

function loginOnce(registry: RegistryAccess): Promise<string> {
  let login = logins.get(registry.dir);
  if (!login) {
    login = registryLogin(registry);
    logins.set(registry.dir, login);
    login.catch(() => logins.delete(registry.dir));
  }
  return login;
}
