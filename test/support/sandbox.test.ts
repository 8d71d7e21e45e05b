// Exercises the shared test harness against the real tools: dockerd, docker-registry,
// docker-compose v1 and sshd.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  APP_VARIANTS,
  CGI_HEALTH_PATH,
  buildAndPush,
  canConnect,
  composeV1,
  dockerAvailable,
  dockerEnv,
  dockerOk,
  freePort,
  generateKey,
  healthPath,
  httpGet,
  makeTempDir,
  projectContainers,
  registryLogin,
  removeComposeProject,
  run,
  runnerNode,
  serverNode,
  sshArgs,
  startRegistry,
  startSshd,
  waitFor,
  waitForHttp,
  writeSampleStack,
  SAMPLE_ENV_OTHER,
  type AppVariant,
  type PushedImage,
  type Registry,
  type Sshd,
} from './sandbox.js';

const hasDocker = await dockerAvailable(); // throws under CI=true when Docker cannot be started
const skip = hasDocker ? false : 'Docker is not available (set CI=true to make this an error)';
const PROJECT = `seisei-harness-${process.pid}`;
const REPO = 'seisei/harness-app';

/** Authenticated registry API call, to check what the registry really holds. */
async function registryManifestDigest(
  registry: Registry,
  repo: string,
  reference: string,
): Promise<string | null> {
  const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${reference}`, {
    method: 'HEAD',
    headers: {
      authorization: `Basic ${Buffer.from(`${registry.user}:${registry.password}`).toString('base64')}`,
      accept: 'application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  return res.ok ? res.headers.get('docker-content-digest') : null;
}

async function dockerLogin(registry: Registry, password: string) {
  const env = await dockerEnv({ DOCKER_CONFIG: await makeTempDir('login') });
  return run('docker', ['login', '-u', registry.user, '--password-stdin', registry.host], {
    env,
    input: password,
  });
}

describe('node binaries', () => {
  test('runnerNode is Node 24 and serverNode exists', async () => {
    assert.match((await run(runnerNode(), ['--version'])).stdout, /^v24\./);
    assert.equal((await run(serverNode(), ['-e', 'process.exit(0)'])).code, 0);
  });
});

describe('registry and images', { skip }, () => {
  let registry: Registry;
  before(async () => {
    registry = await startRegistry({ user: 'ci', password: 's3cret pw' });
  });
  after(async () => {
    await registry?.stop();
  });

  test('docker login works with the right password and fails with a wrong one', async () => {
    assert.match(registry.host, /^127\.0\.0\.1:\d+$/);
    const good = await dockerLogin(registry, registry.password);
    assert.equal(good.code, 0, good.stderr);
    const bad = await dockerLogin(registry, 'wrong');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /unauthorized|401/i);
  });

  test('buildAndPush returns a digest ref the registry holds; tags give different digests', async () => {
    const [a, b] = [
      await buildAndPush(registry, REPO, 'sha-aaa1111', 'ok'),
      await buildAndPush(registry, REPO, 'sha-bbb2222', 'ok'),
    ];
    assert.match(a.ref, new RegExp(`^${registry.host}/${REPO}@sha256:[0-9a-f]{64}$`));
    assert.ok(a.ref.endsWith(`@${a.digest}`));
    assert.equal(a.tag, 'sha-aaa1111');
    assert.notEqual(a.digest, b.digest);
    assert.equal(await registryManifestDigest(registry, REPO, a.tag), a.digest);
    assert.equal(await registryManifestDigest(registry, REPO, b.digest), b.digest);
  });

  test('stop() and start() keep the port and the storage', async () => {
    const image = await buildAndPush(registry, REPO, 'restart-check', 'ok');
    await registry.stop();
    assert.equal(await canConnect('127.0.0.1', Number(registry.host.split(':')[1])), false);
    await registry.start();
    assert.equal(await registryManifestDigest(registry, REPO, image.digest), image.digest);
  });

  describe('sample stack under docker-compose v1', () => {
    let image: PushedImage;
    let stackDir: string;
    let port: number;
    before(async () => {
      image = await buildAndPush(registry, REPO, 'sha-ccc3333', 'ok');
      stackDir = await makeTempDir('stack');
      port = await freePort();
      await writeSampleStack(stackDir, { port });
    });
    after(async () => {
      await removeComposeProject(PROJECT);
    });

    test('writes compose file, .env and config', async () => {
      const env = await readFile(path.join(stackDir, '.env'), 'utf8');
      assert.match(env, /^# /m);
      assert.match(env, new RegExp(`^APP_PORT=${port}$`, 'm'));
      assert.match(env, /^IMAGE_REF=placeholder$/m);
      assert.ok(env.includes(`\n${SAMPLE_ENV_OTHER}\n`));
      const compose = await readFile(path.join(stackDir, 'docker-compose.yml'), 'utf8');
      assert.match(compose, /^x-seisei-deploy:$/m);
      assert.ok(compose.includes(`url: http://127.0.0.1:\${APP_PORT}/health`));
    });

    test('comes up from the digest ref, pulled with registry credentials, and answers ok <tag>', async () => {
      const envFile = path.join(stackDir, 'release.env');
      const sourceEnv = await readFile(path.join(stackDir, '.env'), 'utf8');
      await writeFile(envFile, sourceEnv.replace(/^IMAGE_REF=.*$/m, `IMAGE_REF=${image.ref}`));
      const composeFile = path.join(stackDir, 'docker-compose.yml');

      // Drop the local copy so compose must pull it through the authenticated registry.
      const { stdout: imageId } = await dockerOk(['image', 'inspect', '--format', '{{.Id}}', image.ref]);
      await dockerOk(['rmi', '-f', '--no-prune', imageId.trim()]);
      const pull = await composeV1(PROJECT, composeFile, envFile, ['pull'], {
        env: await dockerEnv({ DOCKER_CONFIG: await registryLogin(registry) }),
      });
      assert.equal(pull.code, 0, pull.stderr);

      const up = await composeV1(PROJECT, composeFile, envFile, ['up', '-d']);
      assert.equal(up.code, 0, up.stderr);
      const res = await waitForHttp(`http://127.0.0.1:${port}/health`, 200, 15_000);
      assert.equal(res.body.trim(), `ok ${image.tag}`);

      const [app] = await projectContainers(PROJECT);
      assert.equal(app?.service, 'app');
      assert.equal(app?.image, image.ref);
      const conf = await dockerOk(['exec', app.id, 'cat', '/etc/app/app.conf']);
      assert.match(conf.stdout, /greeting/);
    });
  });

  describe('app variants', { concurrency: true }, () => {
    const project = `${PROJECT}-variants`;
    after(async () => {
      await removeComposeProject(project);
    });

    /** Runs a variant as a bare container labelled like a compose project, so teardown finds it. */
    async function startVariant(variant: AppVariant): Promise<{ id: string; url: (p: string) => string }> {
      const image = await buildAndPush(registry, REPO, `variant-${variant}`, variant);
      const port = await freePort();
      const { stdout } = await dockerOk([
        'run',
        '-d',
        '--label',
        `com.docker.compose.project=${project}`,
        '-p',
        `127.0.0.1:${port}:8080`,
        image.ref,
      ]);
      return { id: stdout.trim(), url: (p) => `http://127.0.0.1:${port}${p}` };
    }

    async function containerState(id: string) {
      const { stdout } = await dockerOk(['inspect', '--format', '{{json .State}}', id]);
      return JSON.parse(stdout) as { Status: string; ExitCode: number; Health?: { Status: string } };
    }

    test('every variant has a distinct digest', async () => {
      const digests = await Promise.all(
        APP_VARIANTS.map((v) => buildAndPush(registry, REPO, `variant-${v}`, v).then((i) => i.digest)),
      );
      assert.equal(new Set(digests).size, APP_VARIANTS.length);
    });

    test('ok answers 200 on /health and on the CGI path', async () => {
      const app = await startVariant('ok');
      assert.equal((await waitForHttp(app.url('/health'), 200)).body.trim(), 'ok variant-ok');
      assert.deepEqual(await httpGet(app.url(CGI_HEALTH_PATH)), { status: 200, body: 'ok variant-ok\n' });
    });

    test('error500 answers 500 on its health path', async () => {
      const app = await startVariant('error500');
      assert.equal(healthPath('error500'), CGI_HEALTH_PATH);
      const res = await waitForHttp(app.url(healthPath('error500')), 500);
      assert.doesNotMatch(res.body, /\bok\b/);
      assert.equal((await httpGet(app.url('/health'))).status, 404);
    });

    test('not-found answers 404', async () => {
      const app = await startVariant('not-found');
      await waitForHttp(app.url(healthPath('not-found')), 404);
      assert.equal((await httpGet(app.url(CGI_HEALTH_PATH))).status, 404);
    });

    test('crash exits with code 1', async () => {
      const app = await startVariant('crash');
      const state = await waitFor(
        'crash to exit',
        async () => {
          const s = await containerState(app.id);
          return s.Status === 'exited' && s;
        },
        { timeoutMs: 10_000 },
      );
      assert.equal(state.ExitCode, 1);
    });

    test('unhealthy serves 200 but turns unhealthy', async () => {
      const app = await startVariant('unhealthy');
      await waitForHttp(app.url('/health'), 200);
      await waitFor('unhealthy', async () => (await containerState(app.id)).Health?.Status === 'unhealthy', {
        timeoutMs: 10_000,
      });
    });

    test('healthy turns healthy', async () => {
      const app = await startVariant('healthy');
      await waitFor('healthy', async () => (await containerState(app.id)).Health?.Status === 'healthy', {
        timeoutMs: 10_000,
      });
    });
  });
});

describe('sshd', { skip }, () => {
  let sshd: Sshd;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });

  const ssh = (command: string[], keyPath?: string) =>
    run('ssh', [...sshArgs(sshd, keyPath), '--', ...command], { timeoutMs: 30_000 });

  test('reports its host key', () => {
    assert.match(sshd.hostKeyFingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(sshd.knownHostsLine, `[127.0.0.1]:${sshd.port} ${sshd.hostPublicKey}`);
    assert.match(sshd.hostPublicKey, /^ssh-ed25519 AAAA\S+$/);
    assert.match(sshd.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
  });

  test('accepts the key; sudo -n docker works; /usr/bin/node is on the exec PATH', async () => {
    const res = await ssh(['sudo', '-n', 'docker', 'version', '--format', '{{.Server.Version}}']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^\d+\.\d+/);
    // ssh joins its arguments into one string for the remote shell.
    const who = await ssh(['id -un; command -v node']);
    assert.deepEqual(who.stdout.trim().split('\n'), [sshd.user, '/usr/bin/node']);
  });

  test('rejects a key it does not know', async () => {
    const other = await generateKey(path.join(await makeTempDir('wrong-key'), 'id'), 'stranger');
    const res = await ssh(['true'], other.path);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /Permission denied/);
  });

  test('killSessions cuts a running connection', async () => {
    const long = ssh(['sleep', '30']);
    await waitFor('an ssh session', async () => (await sshd.sessionPids()).length > 0, { timeoutMs: 10_000 });
    assert.ok((await sshd.killSessions()) > 0);
    const res = await long;
    assert.equal(res.code, 255);
  });
});
