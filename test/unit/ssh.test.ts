// Host key pinning and the SSH session against an in-process ssh2 server (real protocol, real keys).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
} from '../../src/host-key.js';
import type { SshTarget } from '../../src/inputs.js';
import { SshError, checkPreflight, connect, preflightScript, shellJoin, shellQuote } from '../../src/ssh.js';
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
