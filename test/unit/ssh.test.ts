// Host key pinning and the SSH session against an in-process ssh2 server (real protocol, real keys).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  checkHostKey,
  fingerprintOfBlob,
  hostFieldMatches,
  hostKeyAlgorithms,
  keyTypeOfBlob,
  parseHostKeys,
  pinsForHost,
} from '../../src/ssh/host-key.js';
import { sha256Hex } from '../../src/host/executor.js';
import { connect } from '../../src/ssh/connection.js';
import type { SshError } from '../../src/ssh/errors.js';
import { installedExecutorScript, parseInstalled } from '../../src/ssh/installed-executor.js';
import { checkPreflight, preflightScript } from '../../src/ssh/preflight.js';
import { sendFileScript } from '../../src/ssh/send-file.js';
import { shellJoin, shellQuote } from '../../src/ssh/shell.js';
import type { SshTarget } from '../../src/ssh/target.js';
import { ed25519Key } from './helpers/keys.js';

// ssh2 (node-ssh's SSH implementation) ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ssh2: any = createRequire(import.meta.url)('ssh2');

const hostKey = ed25519Key('host');
const otherHostKey = ed25519Key('other-host');
const userKey = ed25519Key('user');
const strangerKey = ed25519Key('stranger');

describe('host keys', () => {
  it('fingerprints like ssh-keygen -l', (t) => {
    const fp = fingerprintOfBlob(hostKey.blob);
    assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(keyTypeOfBlob(hostKey.blob), 'ssh-ed25519');
    const keygen = spawnSync('ssh-keygen', ['-lf', '-'], {
      input: hostKey.publicLine + '\n',
      encoding: 'utf8',
    });
    if (keygen.error && process.env.CI !== 'true') return t.skip('ssh-keygen not installed');
    assert.ifError(keygen.error);
    assert.equal(keygen.stdout.split(' ')[1], fp);
  });

  it('parses fingerprints and known_hosts lines', () => {
    const fp = fingerprintOfBlob(hostKey.blob);
    const pins = parseHostKeys(`${fp}=\n\n# c\n[h]:2222 ${hostKey.publicLine}\n`);
    assert.equal(pins.length, 2);
    assert.equal(pins[0]!.fingerprint, fp, 'padding is ignored');
    assert.deepEqual({ ...pins[1] }, { fingerprint: fp, keyType: 'ssh-ed25519', hosts: '[h]:2222', line: 4 });
    assert.throws(
      () => parseHostKeys('h ssh-rsa ' + hostKey.blob.toString('base64')),
      /line 1: the base64 key is not a ssh-rsa key/,
    );
    assert.throws(() => parseHostKeys('@cert-authority * ' + hostKey.publicLine), /not supported/);
    assert.throws(() => parseHostKeys('h ssh-ed25519'), /three fields/);
    assert.throws(() => parseHostKeys('h foo AAAA'), /unknown key type/);
  });

  it('matches known_hosts host fields like ssh', () => {
    assert.ok(hostFieldMatches('example.com', 'example.com', 22));
    assert.ok(!hostFieldMatches('example.com', 'example.com', 2222));
    assert.ok(hostFieldMatches('[example.com]:2222,10.0.0.1', 'example.com', 2222));
    assert.ok(hostFieldMatches('*.example.com', 'a.example.com', 22));
    assert.ok(!hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com', 22));
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[10.1.2.3]:2200').digest('base64');
    const hashed = `|1|${salt.toString('base64')}|${hash}`;
    assert.ok(hostFieldMatches(hashed, '10.1.2.3', 2200));
    assert.ok(!hostFieldMatches(hashed, '10.1.2.3', 22));
    const pins = parseHostKeys(
      `SHA256:${'A'.repeat(43)}\nother ${hostKey.publicLine}\n${hashed} ${hostKey.publicLine}`,
    );
    assert.equal(pinsForHost(pins, '10.1.2.3', 2200).length, 2);
  });

  it('checks the presented key and orders host key algorithms', () => {
    const pins = parseHostKeys(`h ${hostKey.publicLine}`);
    assert.equal(checkHostKey(pins, hostKey.blob).ok, true);
    const bad = checkHostKey(pins, otherHostKey.blob);
    assert.equal(bad.ok, false);
    assert.equal(bad.fingerprint, fingerprintOfBlob(otherHostKey.blob));
    assert.deepEqual(hostKeyAlgorithms(pins), ['ssh-ed25519']);
    assert.deepEqual(hostKeyAlgorithms(parseHostKeys('h ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAQC7')), [
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
    assert.equal(hostKeyAlgorithms(parseHostKeys(fingerprintOfBlob(hostKey.blob))), undefined);
  });
});

describe('shell quoting', () => {
  it('quotes everything the shell could interpret', () => {
    assert.equal(shellQuote('/tmp/seisei-deploy.abc/remote.cjs'), '/tmp/seisei-deploy.abc/remote.cjs');
    assert.equal(shellQuote("it's $(rm -rf /)"), `'it'\\''s $(rm -rf /)'`);
    assert.equal(shellQuote(''), `''`);
    const words = ['a b', '$HOME', '`x`', "'", '\n', ';'];
    const r = spawnSync('sh', ['-c', `printf '%s\\0' ${shellJoin(words)}`], { encoding: 'utf8' });
    assert.deepEqual(r.stdout.split('\0').slice(0, -1), words);
  });
});

describe('preflight', () => {
  const t = { host: 'srv', username: 'deploy' } as SshTarget;
  const r = { sudo: true, node: 'node' };
  let bin: string;
  before(() => {
    bin = mkdtempSync(join(tmpdir(), 'preflight-'));
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  function fake(name: string, body: string) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const runScript = (opts = r) =>
    spawnSync('sh', ['-c', preflightScript(opts)], {
      env: { PATH: `${bin}:/usr/bin:/bin` },
      encoding: 'utf8',
    }).stdout;

  it('passes on a good server (script run by a real shell with fake sudo/node/docker)', () => {
    fake('sudo', '[ "$1" = -n ] && shift; exec "$@"');
    fake('node', 'printf 20.11.1');
    fake('docker', 'echo 27.3.1');
    assert.deepEqual(checkPreflight(runScript(), r, t), { nodeVersion: '20.11.1', dockerVersion: '27.3.1' });
  });

  it('asks Node.js its version with --version, without starting its JavaScript engine', () => {
    fake('sudo', '[ "$1" = -n ] && shift; exec "$@"');
    // Answers only `--version` (as node does before it starts V8), as the official binaries print it.
    fake(
      'node',
      '[ "$#" = 1 ] && [ "$1" = --version ] && echo v20.11.1 && exit 0; echo "node ran $*" >&2; exit 9',
    );
    fake('docker', 'echo 27.3.1');
    assert.deepEqual(checkPreflight(runScript(), r, t), { nodeVersion: '20.11.1', dockerVersion: '27.3.1' });
  });

  it('says when sudo needs a password', () => {
    fake('sudo', 'echo "sudo: a password is required" >&2; exit 1');
    assert.throws(
      () => checkPreflight(runScript(), r, t),
      (e: SshError) =>
        e.kind === 'preflight' && /passwordless sudo is not available for deploy/.test(e.message),
    );
  });

  it('says when Node.js is too old or missing, and when docker fails', () => {
    fake('sudo', '[ "$1" = -n ] && shift; exec "$@"');
    fake('node', 'printf 16.20.2');
    fake('docker', 'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1');
    assert.throws(
      () => checkPreflight(runScript(), r, t),
      (e: SshError) =>
        /Node\.js 16\.20\.2 .* too old/.test(e.message) &&
        /'docker version' \(run via sudo -n\) failed on srv: Cannot connect to the Docker daemon/.test(
          e.message,
        ),
    );
    const missing = { sudo: false, node: 'no-such-node' };
    assert.throws(
      () => checkPreflight(runScript(missing), missing, t),
      /Node\.js is not runnable as no-such-node on srv: .*not found/,
    );
  });

  it('names the tools the SSH user lacks', () => {
    fake('sudo', '[ "$1" = -n ] && shift; exec "$@"');
    fake('node', 'printf 20.11.1');
    fake('docker', 'echo 27.3.1');
    // A PATH with the fakes and everything but sha256sum and mktemp.
    const only = mkdtempSync(join(tmpdir(), 'preflight-path-'));
    try {
      for (const tool of ['true', 'tr', 'cut', 'cat', 'stat', 'rm', 'id'])
        // `which`, not `command -v`: for the builtin `true` that prints just "true".
        symlinkSync(spawnSync('which', [tool], { encoding: 'utf8' }).stdout.trim(), join(only, tool));
      const out = spawnSync('/bin/sh', ['-c', preflightScript(r)], {
        env: { PATH: `${bin}:${only}` },
        encoding: 'utf8',
      }).stdout;
      assert.throws(
        () => checkPreflight(out, r, t),
        (e: SshError) =>
          e.kind === 'preflight' &&
          e.message.includes('mktemp, sha256sum not found in the PATH of deploy on srv') &&
          !/Node|docker/.test(e.message),
      );
    } finally {
      rmSync(only, { recursive: true, force: true });
    }
  });

  it('narrow sudo: sudo -n true refused, sudo -l allows only the installed executor; no node or docker asked', () => {
    const root = mkdtempSync(join(tmpdir(), 'preflight-narrow-'));
    try {
      const exe = join(root, 'releases', 'bin', 'seisei-deploy');
      const version = JSON.stringify({ version: '1.0.0', request_format: 1 });
      // sudo allows `-l <exe>` and `<exe> version --json`, nothing else.
      fake(
        'sudo',
        `[ "$1" = -n ] && shift; if [ "$1" = -l ] && [ "$2" = '${exe}' ]; then exit 0; fi; ` +
          `if [ "$1" = '${exe}' ] && [ "$2" = version ]; then echo '${version}'; exit 0; fi; ` +
          `echo "sudo: a password is required" >&2; exit 1`,
      );
      fake('node', 'echo node-was-asked >&2; exit 9');
      fake('docker', 'echo docker-was-asked >&2; exit 9');
      const narrow = { ...r, root };
      const out = runScript(narrow);
      assert.doesNotMatch(out, /^(node|docker)=/m);
      const info = checkPreflight(out, narrow, t);
      assert.deepEqual(
        [info.narrow, info.installedVersion, info.nodeVersion, info.installed?.state],
        [true, { version: '1.0.0', request_format: 1 }, '', 'absent'],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reads the installed executor from the first cli= line only', () => {
    const sha = 'c'.repeat(64);
    const out = `sudo=ok\nnode=ok 20.11.1\ndocker=ok 27.3.1\ntools=\ncli=untrusted /srv is owned by uid 1000\ncli=ok ${sha}\n`;
    const info = checkPreflight(out, { ...r, root: '/srv' }, t);
    assert.equal(info.installed?.state, 'untrusted');
    assert.equal(info.installed?.sha256, undefined);
  });
});

describe('the installed executor, looked at without sudo', () => {
  // The script runs in a real sh against real files; ownership needs root (chown), as on a server.
  const asRoot = process.getuid?.() === 0;
  let base: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'installed-cli-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  /** A root <root>/releases/bin/seisei-deploy (0755, dirs 0755), as each deploy installs it. */
  function install(name: string, content = '#!/usr/bin/env node\n// build A\n'): string {
    const root = join(base, name);
    mkdirSync(join(root, 'releases', 'bin'), { recursive: true, mode: 0o755 });
    for (const d of [root, join(root, 'releases'), join(root, 'releases', 'bin')]) chmodSync(d, 0o755);
    writeFileSync(join(root, 'releases', 'bin', 'seisei-deploy'), content, { mode: 0o755 });
    return root;
  }
  const cliOf = (root: string) => join(root, 'releases', 'bin', 'seisei-deploy');
  const look = (root: string, user?: string) => {
    const script = installedExecutorScript(cliOf(root));
    const r = user
      ? spawnSync('runuser', ['-u', user, '--', 'sh', '-c', script], { encoding: 'utf8' })
      : spawnSync('sh', ['-c', script], { encoding: 'utf8' });
    const line = /^cli=(.*)$/m.exec(r.stdout)?.[1];
    return parseInstalled(line, cliOf(root));
  };

  it('hashes a root-owned executor that only root can change', { skip: !asRoot }, () => {
    const root = install('good');
    chmodSync(base, 0o755);
    const content = readFileSync(cliOf(root));
    assert.deepEqual(look(root), { path: cliOf(root), state: 'ok', sha256: sha256Hex(content) });
    // The same answer for an unprivileged user: no sudo needed to read it.
    assert.deepEqual(look(root, 'nobody'), { path: cliOf(root), state: 'ok', sha256: sha256Hex(content) });
  });

  it('says absent only when it is provably not there', { skip: !asRoot }, () => {
    const root = join(base, 'empty');
    mkdirSync(join(root, 'releases'), { recursive: true, mode: 0o755 });
    chmodSync(root, 0o755);
    chmodSync(base, 0o755);
    assert.deepEqual(look(root), { path: cliOf(root), state: 'absent' });
    chmodSync(root, 0o700); // not searchable by nobody: it cannot know
    const hidden = look(root, 'nobody');
    assert.equal(hidden.state, 'unknown');
    assert.match(hidden.reason ?? '', /not searchable by nobody/);
  });

  it('refuses a file someone other than root owns or could replace', { skip: !asRoot }, () => {
    const owned = install('owned');
    chownSync(cliOf(owned), 1, 1);
    assert.deepEqual(look(owned), {
      path: cliOf(owned),
      state: 'untrusted',
      reason: `${cliOf(owned)} is owned by uid 1, not root`,
    });

    const writable = install('writable');
    chmodSync(join(writable, 'releases', 'bin'), 0o777);
    assert.equal(look(writable).state, 'untrusted');
    assert.match(look(writable).reason ?? '', /releases\/bin is writable by group or others \(drwxrwxrwx\)/);

    const groupWritable = install('group-writable');
    chmodSync(cliOf(groupWritable), 0o775);
    assert.match(look(groupWritable).reason ?? '', /seisei-deploy is writable by group or others/);

    // A name with a newline makes stat's answer ambiguous: refused, not guessed.
    const newline = install('new\n0 -rwxr-xr-x line');
    assert.equal(look(newline).state, 'untrusted');
    assert.match(look(newline).reason ?? '', /unexpected answer from stat/);

    const userDir = install('user-dir');
    chownSync(join(userDir, 'releases'), 1, 1);
    assert.match(look(userDir).reason ?? '', /releases is owned by uid 1, not root/);
  });

  it(
    'refuses a symlink, and a root-owned link into a directory another user controls',
    { skip: !asRoot },
    () => {
      const linked = install('linked');
      const real = cliOf(install('link-target'));
      rmSync(cliOf(linked));
      symlinkSync(real, cliOf(linked));
      assert.deepEqual(look(linked), {
        path: cliOf(linked),
        state: 'untrusted',
        reason: `${cliOf(linked)} is not a regular file`,
      });

      // releases/bin -> a directory whose parent belongs to uid 1: the physical path is checked too.
      const viaLink = install('via-link');
      const elsewhere = join(base, 'elsewhere');
      mkdirSync(join(elsewhere, 'bin'), { recursive: true, mode: 0o755 });
      writeFileSync(join(elsewhere, 'bin', 'seisei-deploy'), 'x', { mode: 0o755 });
      chownSync(elsewhere, 1, 1);
      rmSync(join(viaLink, 'releases', 'bin'), { recursive: true });
      symlinkSync(join(elsewhere, 'bin'), join(viaLink, 'releases', 'bin'));
      const r = look(viaLink);
      assert.equal(r.state, 'untrusted');
      assert.match(r.reason ?? '', /elsewhere is owned by uid 1, not root/);
    },
  );

  it('says unknown when the SSH user cannot read it', { skip: !asRoot }, () => {
    const root = install('unreadable');
    chmodSync(base, 0o755);
    chmodSync(cliOf(root), 0o700);
    const r = look(root, 'nobody');
    assert.deepEqual([r.state, r.sha256], ['unknown', undefined]);
    assert.match(r.reason ?? '', /is not readable by nobody/);
  });

  it('never takes a malformed answer for a hash', () => {
    const path = '/srv/releases/bin/seisei-deploy';
    const sha = 'a'.repeat(64);
    assert.equal(parseInstalled(`ok ${sha} trailing`, path).state, 'unknown');
    assert.equal(parseInstalled(undefined, path).state, 'unknown');
  });
});

describe('sending a file on the exec channel (no SFTP)', () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'send-file-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const send = (script: string, input: Buffer) =>
    spawnSync('sh', ['-c', script], { input, env: { PATH: '/usr/bin:/bin', TMPDIR: tmp }, encoding: 'utf8' });
  const data = Buffer.concat([Buffer.from('#!/usr/bin/env node\n'), randomBytes(300_000)]);

  it('creates a private temp dir, writes stdin into it and checks the sha256', () => {
    const r = send(sendFileScript({ name: 'remote.cjs', sha256: sha256Hex(data) }), data);
    assert.equal(r.status, 0, r.stderr);
    const dir = /^dir=(.*)$/m.exec(r.stdout)?.[1] ?? '';
    assert.match(dir, new RegExp(`^${tmp}/seisei-deploy\\.\\w{10}$`));
    assert.match(r.stdout, new RegExp(`^sent=${sha256Hex(data)}$`, 'm'));
    assert.ok(readFileSync(join(dir, 'remote.cjs')).equals(data));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'remote.cjs')).mode & 0o777, 0o600);

    // A second file into the same dir; an existing name is never written over.
    const manifest = Buffer.from('{"images":{}}\n');
    const second = sendFileScript({ name: 'image-digests.json', sha256: sha256Hex(manifest) }, dir);
    assert.equal(send(second, manifest).status, 0);
    assert.ok(readFileSync(join(dir, 'image-digests.json')).equals(manifest));
    const again = send(sendFileScript({ name: 'remote.cjs', sha256: sha256Hex(manifest) }, dir), manifest);
    assert.notEqual(again.status, 0);
    assert.ok(readFileSync(join(dir, 'remote.cjs')).equals(data), 'the first remote.cjs is untouched');
  });

  it('removes what it wrote when the bytes that arrived differ (stdin cut short)', () => {
    const before = readdirSync(tmp);
    const r = send(sendFileScript({ name: 'remote.cjs', sha256: sha256Hex(data) }), data.subarray(0, 65_536));
    assert.equal(r.status, 3);
    assert.match(r.stderr, /arrived with sha256 [0-9a-f]{64}, sent [0-9a-f]{64}/);
    const dir = /^dir=(.*)$/m.exec(r.stdout)?.[1] ?? '';
    assert.ok(dir && !existsSync(dir), `${dir} removed`);
    assert.deepEqual(readdirSync(tmp), before);
  });

  it('quotes the names it is given and refuses anything else', () => {
    assert.throws(() => sendFileScript({ name: '../x', sha256: 'a'.repeat(64) }), /bad file name/);
    assert.throws(() => sendFileScript({ name: 'x', sha256: 'a'.repeat(64) }, '/tmp/$(id)'), /bad temp dir/);
    assert.throws(() => sendFileScript({ name: 'x', sha256: 'not-hex' }), /bad sha256/);
  });
});

// ---- a real SSH server in this process (ssh2 ships no type declarations) ----
/* eslint-disable @typescript-eslint/no-explicit-any */

interface ServerLog {
  authAttempts: number;
  commands: string[];
}

function startServer(
  onExec: (cmd: string, stream: any, client: any) => void,
): Promise<{ port: number; log: ServerLog; close(): void }> {
  const log: ServerLog = { authAttempts: 0, commands: [] };
  const allowed = ssh2.utils.parseKey(userKey.publicLine) as any;
  const server = new ssh2.Server({ hostKeys: [hostKey.privateKey] }, (client: any) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx: any) => {
      log.authAttempts++;
      if (
        ctx.method === 'publickey' &&
        ctx.username === 'deploy' &&
        ctx.key.data.equals(allowed.getPublicSSH()) &&
        (!ctx.signature || allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true)
      )
        return ctx.accept();
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept: any) => {
        const session = accept();
        session.on('exec', (acceptExec: any, _reject: any, info: any) => {
          log.commands.push(info.command);
          onExec(info.command, acceptExec(), client);
        });
      });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ port, log, close: () => server.close() });
    });
  });
}

function target(port: number, over: Partial<SshTarget> = {}): SshTarget {
  return {
    host: '127.0.0.1',
    port,
    username: 'deploy',
    privateKey: userKey.privateKey,
    hostKeys: parseHostKeys(`[127.0.0.1]:${port} ${hostKey.publicLine}`),
    readyTimeoutMs: 5000,
    keepaliveIntervalMs: 1000,
    keepaliveCountMax: 3,
    ...over,
  };
}

describe('connect (in-process ssh2 server)', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    srv = await startServer((cmd, stream, client) => {
      if (cmd === 'echo hi') {
        stream.stderr.write('warn\n');
        stream.write('hi\n');
        stream.exit(3);
        stream.end();
      } else if (cmd === 'drop') {
        stream.write('partial');
        setTimeout(() => client.end(), 50);
      }
    });
  });
  after(() => srv.close());

  it('connects with a pinned key and runs commands', async () => {
    const s = await connect(target(srv.port));
    try {
      const res = await s.exec('echo hi');
      assert.deepEqual(
        { code: res.code, stdout: res.stdout, stderr: res.stderr },
        { code: 3, stdout: 'hi\n', stderr: 'warn\n' },
      );
    } finally {
      s.close();
    }
  });

  it('accepts a bare SHA256 fingerprint', async () => {
    const s = await connect(target(srv.port, { hostKeys: parseHostKeys(fingerprintOfBlob(hostKey.blob)) }));
    s.close();
  });

  it('refuses a wrong host key before authentication, showing both fingerprints', async () => {
    const before = srv.log.authAttempts;
    const commands = srv.log.commands.length;
    await assert.rejects(
      connect(target(srv.port, { hostKeys: parseHostKeys(fingerprintOfBlob(otherHostKey.blob)) })),
      (e: SshError) => {
        assert.equal(e.kind, 'host_key');
        assert.ok(e.message.includes(fingerprintOfBlob(hostKey.blob)), 'received fingerprint shown');
        assert.ok(e.message.includes(fingerprintOfBlob(otherHostKey.blob)), 'expected fingerprint shown');
        assert.match(e.message, /Refused before authentication/);
        return true;
      },
    );
    assert.equal(srv.log.authAttempts, before, 'no authentication was attempted');
    assert.equal(srv.log.commands.length, commands, 'nothing ran');
  });

  it('says authentication failed for a wrong private key', async () => {
    await assert.rejects(
      connect(target(srv.port, { privateKey: strangerKey.privateKey })),
      (e: SshError) =>
        e.kind === 'auth' &&
        e.message.startsWith(
          `Authentication failed for deploy@127.0.0.1:${srv.port}: check private_key/passphrase and authorized_keys`,
        ),
    );
  });

  it('says when the private key cannot be parsed', async () => {
    await assert.rejects(
      connect(
        target(srv.port, {
          privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
        }),
      ),
      (e: SshError) => e.kind === 'key' && /^private_key: cannot be parsed/.test(e.message),
    );
  });

  it('says when the host refuses connections', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(
      connect(target(port)),
      (e: SshError) => e.kind === 'unreachable' && /connection refused/.test(e.message),
    );
  });

  it('notices a dropped connection during a command', async () => {
    const s = await connect(target(srv.port));
    const chunks: string[] = [];
    const res = await s.exec('drop', { onStdout: (c) => chunks.push(c.toString()) });
    assert.equal(res.code, null);
    assert.equal(chunks.join(''), 'partial');
    assert.equal(s.closed, true);
    await assert.rejects(s.exec('echo hi'), /closed/);
    s.close();
  });
});
