// Proves the host lab (hosts.ts) gives real, separate hosts: own IP, /srv and dockerd, an sshd on
// port 22, an authenticated registry all of them pull from, the action deploying to one of them,
// and a tear-down (also after a crash) that leaves nothing behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeRun, runAction } from '../e2e/action-harness.js';
import { NO_TRACES, cleanupLabLeftovers, labTraces, startLab, type Lab, type LabHost } from './hosts.js';
import { LAB_SLOTS, labPlan, networkCommands } from './lab-plan.js';
import {
  dockerAvailable,
  docker as machineDocker,
  httpGet,
  makeTempDir,
  run,
  runOk,
  serverNode,
  waitFor,
  writeSampleStack,
  type PushedImage,
} from './sandbox.js';

const hasDocker = await dockerAvailable(); // throws under CI=true when Docker cannot be started
const isRoot = process.getuid?.() === 0;
const skip = !hasDocker || !isRoot ? 'needs dockerd and root' : false;
const DEFAULT_STACKS_SOURCE = '/opt/seisei-odoo-addons/infra/stacks';

/** ssh from the machine to a lab host's IP:22 with the lab key and strict host key checking. */
function ssh(host: LabHost, command: string[]) {
  const options = [
    'IdentitiesOnly=yes',
    'BatchMode=yes',
    'StrictHostKeyChecking=yes',
    `UserKnownHostsFile=${host.sshd.knownHostsPath}`,
    'GlobalKnownHostsFile=/dev/null',
    'ConnectTimeout=10',
  ];
  return run(
    'ssh',
    [
      ...['-i', host.sshd.privateKeyPath, '-p', '22'],
      ...options.flatMap((o) => ['-o', o]),
      `${host.sshd.user}@${host.sshd.host}`,
      '--',
      ...command,
    ],
    { timeoutMs: 30_000 },
  );
}

/** Inode ids ('net:[4026...]') of the namespaces a process is in. */
async function namespacesOf(pid: number): Promise<string[]> {
  return Promise.all(['mnt', 'net', 'uts'].map((ns) => readlink(`/proc/${pid}/ns/${ns}`)));
}

/** Processes of the machine that are in any of the given namespaces. */
async function processesIn(namespaces: Set<string>): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    for (const ns of ['mnt', 'net', 'uts']) {
      const id = await readlink(`/proc/${entry}/ns/${ns}`).catch(() => '');
      if (namespaces.has(id)) {
        found.push(Number(entry));
        break;
      }
    }
  }
  return found;
}

/** True while the process exists and is not a zombie (an orphan waits a moment to be reaped). */
const isAlive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('the lab network plan', () => {
  test('every address of every slot is in 10.201.0.0/24 and no two slots share one', () => {
    const seen = new Set<string>();
    for (let slot = 0; slot < LAB_SLOTS; slot++) {
      const plan = labPlan(slot, 50);
      const addresses = [plan.gateway, plan.registryIp, ...plan.hosts.map((h) => h.ip)];
      for (const ip of addresses) {
        assert.match(ip, /^10\.201\.0\.(\d+)$/);
        const last = Number(ip.split('.')[3]);
        assert.ok(last > 64 * slot && last < 64 * (slot + 1) - 1, `${ip} is inside slot ${slot}'s /26`);
        assert.ok(!seen.has(ip), `${ip} is used once`);
        seen.add(ip);
      }
      const cidrs = networkCommands(plan)
        .flat()
        .filter((a) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(a));
      assert.ok(cidrs.length >= 3);
      for (const c of cidrs) assert.ok(c.startsWith('10.201.0.') && c.endsWith('/26'), c);
    }
  });
});

describe('the host lab: three real hosts and a registry on this machine', { skip }, () => {
  let lab: Lab;
  let image: PushedImage;
  let tmp: string;
  let h1: LabHost;
  let h2: LabHost;
  let h3: LabHost;

  before(async () => {
    lab = await startLab({ hosts: 3, registry: true });
    [h1, h2, h3] = lab.hosts as [LabHost, LabHost, LabHost];
    image = await lab.pushImage('ok', `lab-${randomBytes(3).toString('hex')}`);
    tmp = await makeTempDir('hostlab');
  });
  after(async () => {
    await lab?.stop();
  });

  test('each host has its own IP on its own network interface, no default route and its own hostname', async () => {
    const ips = new Set<string>();
    for (const h of lab.hosts) {
      const addr = await h.execOk(['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      assert.match(addr.stdout, new RegExp(`inet ${h.ip.replace(/\./g, '\\.')}/`));
      assert.equal((await h.execOk(['hostname'])).stdout.trim(), h.netns);
      // No default route: a host reaches the lab network and its own containers, nothing else.
      assert.doesNotMatch((await h.execOk(['ip', 'route'])).stdout, /^default/m);
      ips.add(h.ip);
    }
    assert.equal(ips.size, 3);
    const machineAddrs = (await runOk('ip', ['-o', '-4', 'addr', 'show'])).stdout;
    for (const h of lab.hosts)
      assert.ok(!machineAddrs.includes(`inet ${h.ip}/`), `${h.ip} is not the machine's`);
  });

  test('a file written in /srv of host 1 is absent on host 2 and on the machine', async () => {
    const name = `lab-probe-${randomBytes(4).toString('hex')}`;
    await h1.execOk(['sh', '-c', `echo from-h1 > /srv/${name}`]);
    assert.equal((await h1.execOk(['cat', `/srv/${name}`])).stdout, 'from-h1\n');
    assert.equal((await h2.exec(['test', '-e', `/srv/${name}`])).code, 1);
    assert.equal(existsSync(`/srv/${name}`), false);
    assert.equal(await readFile(h1.hostPath(`/srv/${name}`), 'utf8'), 'from-h1\n');
  });

  test('each host has its own dockerd: its own engine ID, and containers of host 1 are invisible elsewhere', async () => {
    const ids = await Promise.all(
      lab.hosts.map(async (h) => (await h.docker(['info', '--format', '{{.ID}}'])).stdout.trim()),
    );
    const machineId = (await machineDocker(['info', '--format', '{{.ID}}'])).stdout.trim();
    assert.equal(new Set([...ids, machineId]).size, 4, `engine IDs ${ids.join(', ')} / machine ${machineId}`);

    const name = `lab-probe-${randomBytes(4).toString('hex')}`;
    const env = { ...h1.dockerEnv, DOCKER_CONFIG: await loggedIn(h1) };
    await runOk('docker', ['run', '-d', '--name', name, image.ref], { env, timeoutMs: 60_000 });
    const listed = async (h: { docker: LabHost['docker'] }) =>
      (await h.docker(['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n');
    assert.ok((await listed(h1)).includes(name));
    assert.ok(!(await listed(h2)).includes(name), 'not on host 2');
    assert.ok(!(await listed({ docker: machineDocker })).includes(name), "not on the machine's dockerd");
    await h1.docker(['rm', '-f', name]);
  });

  /** A DOCKER_CONFIG logged in to the lab registry through a host's dockerd. */
  async function loggedIn(h: LabHost): Promise<string> {
    const dir = path.join(tmp, `docker-config-${h.name}`);
    if (existsSync(path.join(dir, 'config.json'))) return dir;
    await mkdir(dir, { recursive: true });
    const { registry } = lab;
    await runOk(
      'docker',
      ['login', '--username', registry!.username, '--password-stdin', registry!.address],
      {
        env: { ...h.dockerEnv, DOCKER_CONFIG: dir },
        input: registry!.password,
      },
    );
    return dir;
  }

  test('ssh to each host on its IP port 22 with the lab key works, and sudo -n docker there is that host’s dockerd', async () => {
    for (const h of lab.hosts) {
      const who = await ssh(h, ['sh', '-c', 'hostname; id -un']);
      assert.equal(who.code, 0, who.stderr);
      assert.equal(who.stdout, `${h.netns}\n${h.sshd.user}\n`);
      const version = await ssh(h, ['sudo', '-n', 'docker', 'version', '--format', '{{.Server.Version}}']);
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout.trim(), /^\d+\.\d+/);
      const id = await ssh(h, ['sudo', '-n', 'docker', 'info', '--format', '{{.ID}}']);
      assert.equal(id.stdout.trim(), (await h.docker(['info', '--format', '{{.ID}}'])).stdout.trim());
    }
  });

  test('every host pulls the same pinned digest from the lab registry with auth, and is refused without', async () => {
    const anonymous = path.join(tmp, 'docker-config-anonymous');
    await mkdir(anonymous, { recursive: true });
    const refused = await run('docker', ['pull', image.ref], {
      env: { ...h3.dockerEnv, DOCKER_CONFIG: anonymous },
      timeoutMs: 60_000,
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no basic auth credentials|unauthorized|authentication required/i);

    for (const h of lab.hosts) {
      const env = { ...h.dockerEnv, DOCKER_CONFIG: await loggedIn(h) };
      await runOk('docker', ['pull', image.ref], { env, timeoutMs: 60_000 });
      const digests = await runOk(
        'docker',
        ['image', 'inspect', '--format', '{{json .RepoDigests}}', image.ref],
        {
          env,
        },
      );
      assert.deepEqual(JSON.parse(digests.stdout), [image.ref]);
    }
  });

  test('the action deploys a sample stack to host 2 over its sshd with the default /srv and stacks source, and it answers on host 2’s IP', async () => {
    const stack = `lab-${randomBytes(3).toString('hex')}`;
    const port = 8080;
    await writeSampleStack(h2.hostPath(`${DEFAULT_STACKS_SOURCE}/${stack}`), {
      port,
      publishAddress: '0.0.0.0',
      smokeTimeoutS: 10,
    });
    const manifest = {
      git_sha: 'a'.repeat(40),
      git_sha7: 'a'.repeat(7),
      built_at_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      images: { app: { tag: image.tag, ref: image.ref, digest: image.digest } },
    };
    const manifestFile = path.join(tmp, 'image-digests.json');
    await writeFile(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
    // Host 2 has the image from the pull test: remove it so the deploy pulls with its credentials.
    await h2.docker(['image', 'rm', '--force', image.ref]);

    const r = await runAction({
      inputs: {
        host: h2.sshd.host,
        port: '22',
        username: h2.sshd.user,
        private_key: h2.sshd.privateKey,
        host_key: h2.sshd.knownHostsLine,
        remote_node: serverNode(),
        registry: lab.registry!.address,
        registry_username: lab.registry!.username,
        registry_password: lab.registry!.password,
        stack,
        environment: 'staging',
        image_tag: image.tag,
        digest_file: manifestFile,
      },
      env: { SEISEI_DEPLOY_TEST_BACKOFF_BASE_MS: '200' },
    });
    assert.equal(r.code, 0, describeRun(r));

    const res = await waitFor('the app on host 2', async () => {
      const got = await httpGet(`http://${h2.ip}:${port}/health`).catch(() => undefined);
      return got?.status === 200 ? got : undefined;
    });
    assert.equal(res.body, `ok ${image.tag}\n`);
    // The release is on host 2 only: its /srv and its dockerd.
    const current = h2.hostPath(`/srv/releases/current/${stack}.json`);
    assert.equal(
      (JSON.parse(await readFile(current, 'utf8')) as { git_sha: string }).git_sha,
      manifest.git_sha,
    );
    assert.equal(existsSync(h1.hostPath(`/srv/releases/current/${stack}.json`)), false);
    assert.equal(existsSync(`/srv/releases/current/${stack}.json`), false);
    const project = ['ps', '-q', '--filter', `label=com.docker.compose.project=${stack}`];
    assert.notEqual((await h2.docker(project)).stdout.trim(), '');
    assert.equal((await h1.docker(project)).stdout.trim(), '');
    assert.equal((await machineDocker(project)).stdout.trim(), '');
    assert.notEqual((await httpGet(`http://${h1.ip}:${port}/health`).catch(() => undefined))?.status, 200);
  });

  test('a second lab takes another slot, and when its process is killed the clean-up removes it and leaves the live lab alone', async () => {
    // A child process starts a one-host lab and is killed with SIGKILL: its exit handlers never
    // run, so the holder, dockerd, containerd and sshd stay behind.
    const script = [
      `import { startLab } from ${JSON.stringify(new URL('./hosts.ts', import.meta.url).pathname)};`,
      'const lab = await startLab({ hosts: 1 });',
      'console.log(JSON.stringify({ slot: lab.slot, holder: lab.hosts[0].holderPid, sshd: lab.hosts[0].sshd.pid }));',
      'setInterval(() => undefined, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const started = await new Promise<{ slot: number; holder: number; sshd: number }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line) as { slot: number; holder: number; sshd: number });
      });
      child.on('close', (code) => reject(new Error(`the lab child exited (${code}) before starting`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));

    const left = await labTraces(started.slot);
    assert.ok(left.processes.includes(started.holder), 'the holder outlived its lab process');
    assert.ok(isAlive(started.sshd), 'so did the sshd');
    assert.equal(left.netns.length, 3, 'switch, registry and the host');

    assert.notEqual(started.slot, lab.slot);
    const cleaned = await cleanupLabLeftovers();
    assert.ok(cleaned.includes(started.slot), `cleaned slots ${cleaned.join(',')}`);
    assert.deepEqual(await labTraces(started.slot), NO_TRACES);
    assert.equal(isAlive(started.holder) || isAlive(started.sshd), false);
    // The live lab is untouched.
    assert.ok(!cleaned.includes(lab.slot));
    assert.equal((await labTraces(lab.slot)).netns.length, 5);
    assert.equal((await h1.docker(['version', '--format', '{{.Server.Version}}'])).code, 0);
  });

  test('after stop() no namespace, veth, mount, cgroup, process or file of the lab is left', async () => {
    const pids = lab.hosts.flatMap((h) => [h.holderPid, h.sshd.pid]);
    const namespaces = new Set((await Promise.all(lab.hosts.map((h) => namespacesOf(h.holderPid)))).flat());
    const before = await labTraces(lab.slot);
    assert.equal(before.netns.length, 5, 'switch, registry and three hosts');
    assert.ok(before.processes.length >= 9, `holders, dockerds, sshds, registry: ${before.processes.length}`);
    assert.ok(before.cgroups.length > 0, 'the container of host 1 ran in the lab cgroups');

    await lab.stop();
    assert.deepEqual(await labTraces(lab.slot), NO_TRACES);
    assert.deepEqual(pids.filter(isAlive), []);
    assert.deepEqual(await processesIn(namespaces), []);
    const links = (await runOk('ip', ['-o', 'link', 'show'])).stdout;
    // Only this lab's slot: another lab (another test file, another checkout) may be running.
    assert.ok(!new RegExp(`\\bseisei-l${lab.slot}(?:@|-|:|\\s)`).test(links), links);
  });
});
