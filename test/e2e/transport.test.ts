// How the action reaches the server: the committed dist/index.js, run as the runner runs it, against
// a real sshd without the SFTP subsystem (the executor travels on an exec's stdin), and against a
// deploy user whose sudo is exactly the rule docs/server-setup.md recommends (the installed
// executor is hashed without sudo, so the second run reuses it and uploads nothing).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, run as runCmd, sshArgs, startSshd, type Sshd } from '../support/sandbox.js';
import { makeServerRoot, startDeployServer, type DeployServer, type TestImage } from './action-fixture.js';
import { describeRun, runAction, type ActionResult } from './action-harness.js';

const CONTEXT = { actor: 'octocat', runId: '5151', repository: 'org/app' };
/** A user of its own, so that its narrow sudo never meets the other tests' `seisei`. */
const NARROW_USER = 'seisei-narrow';
const SERVER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const uploadedTo = (r: ActionResult) =>
  r.lines.map((l) => /^Uploaded remote\.cjs to (\/\S+)$/.exec(l)?.[1]).find(Boolean);
const usedInstalled = (r: ActionResult, root: string) =>
  r.lines.includes(
    `Using the executor installed at ${root}/releases/bin/seisei-deploy (same build as this action)`,
  );
/** Lines in which sshd logs a subsystem request (sftp or any other); LogLevel VERBOSE logs each. */
const subsystemRequests = (srv: DeployServer | { sshdLog(): string[] }) =>
  srv.sshdLog().filter((l) => /subsystem request/i.test(l));

/** Lines in which sshd logs a session's command (an exec request); LogLevel VERBOSE logs each. */
const execRequests = (srv: DeployServer) => srv.sshdLog().filter((l) => /Starting session: command /.test(l));

/**
 * The sudoers rule of docs/server-setup.md section 4, as the doc says to write it on this server:
 * its user `deploy` is `user`, and each program's path is what `which <program>` prints here.
 */
export async function sudoersRuleFromDoc(user: string): Promise<string> {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'server-setup.md'), 'utf8');
  const block = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map(([, body]) => body!)
    .find((b) => b.includes('/etc/sudoers.d/seisei-deploy'));
  assert.ok(block, 'docs/server-setup.md has a sudoers block for /etc/sudoers.d/seisei-deploy');
  const rules = block.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  assert.ok(rules.length > 0 && rules.every((l) => l.startsWith('deploy ')), rules.join('\n'));
  const out: string[] = [];
  for (const rule of rules) {
    let line = `${user}${rule.slice('deploy'.length)}`;
    for (const [, prog] of rule.matchAll(/(?<=[\s,:])\/\S*\/([\w.-]+)(?=[\s,]|$)/g)) {
      // The server's own PATH (sudo's secure_path), not this test's: under `npm test` the PATH
      // starts with node_modules/.bin, which holds a `node` of its own.
      const which = await runCmd('which', [prog!], { env: { PATH: SERVER_PATH } });
      assert.equal(which.code, 0, `which ${prog}: ${which.stderr}`);
      line = line.replace(new RegExp(`(?<=[\\s,:])/\\S*/${prog}(?=[\\s,]|$)`), which.stdout.trim());
    }
    out.push(line);
  }
  return out.join('\n');
}

describe('the action reaches servers as docs/server-setup.md sets them up', () => {
  /** sshd without a `Subsystem sftp` line; its user has full sudo. */
  let srv: DeployServer;
  /** A second sshd (with SFTP) for NARROW_USER, whose sudo is the doc's rule. */
  let narrow: Sshd;
  let narrowRoot: string;
  let images: TestImage[];

  before(async () => {
    srv = await startDeployServer({ sshd: { sftp: false } });
    narrow = await startSshd({ user: NARROW_USER, sudoers: await sudoersRuleFromDoc(NARROW_USER) });
    narrowRoot = path.join(srv.tmp, 'srv-narrow');
    await makeServerRoot(narrowRoot);
    images = await Promise.all([srv.image(), srv.image()]);
  });
  after(async () => {
    await narrow?.stop();
    await srv?.close();
  });

  const deploy = (stack: string, img: TestImage, over: Record<string, string> = {}) =>
    runAction({
      inputs: srv.inputs({
        stack,
        environment: 'staging',
        image_tag: img.tag,
        digest_file: img.manifestFile,
        ...over,
      }),
      context: CONTEXT,
    });

  test('a server without the SFTP subsystem: the first deploy sends the executor over exec and succeeds', async () => {
    const { name } = await srv.addStack();
    const installed = path.join(srv.root, 'releases', 'bin', 'seisei-deploy');
    assert.equal(existsSync(installed), false, 'no executor installed on this root yet');
    assert.ok(
      !readFileSync(path.join(srv.sshd.dir, 'sshd_config'), 'utf8').includes('Subsystem'),
      'sshd offers no subsystem',
    );

    const r = await deploy(name, images[0]!);
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.outputs.status, 'success');
    assert.equal(srv.currentManifest(name)?.release_id, r.outputs.release_id);
    const tmp = uploadedTo(r);
    assert.match(tmp ?? '', /^\/tmp\/seisei-deploy\.\w+$/, describeRun(r));
    assert.equal(existsSync(tmp!), false, `${tmp} removed`);
    assert.ok(existsSync(installed), 'the run installed the executor it was sent');

    // No SFTP channel: sshd logs every subsystem request (and would have refused this one, failing
    // the run). The same log does show one when a client asks, so this check can fail.
    assert.deepEqual(subsystemRequests(srv), [], 'the action asked for no subsystem');
    const sftp = spawnSync('ssh', ['-s', ...sshArgs(srv.sshd), 'sftp'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.notEqual(sftp.status, 0, 'the server refuses sftp');
    const seen = subsystemRequests(srv);
    assert.equal(seen.length, 1, seen.join('\n'));
    assert.match(seen[0]!, /subsystem request for sftp by user seisei failed, subsystem not found/);
  });

  test('with the installed executor of this build, one exec checks the server, starts the run and streams its journal', async () => {
    const { name } = await srv.addStack();
    const first = await deploy(name, images[0]!); // installs this build, if no earlier test did
    assert.equal(first.code, 0, describeRun(first));
    const before = execRequests(srv).length;
    assert.ok(before > 0, 'sshd logs exec requests (so the count below can fail)');

    const second = await deploy(name, images[1]!);
    assert.equal(second.code, 0, describeRun(second));
    assert.equal(second.outputs.status, 'success');
    assert.equal(second.outputs.previous_release_id, first.outputs.release_id);
    assert.ok(usedInstalled(second, srv.root), describeRun(second));
    assert.ok(
      second.lines.some((l) => l.startsWith('::group::▶ up')),
      'the journal was followed',
    );
    const execs = execRequests(srv).slice(before);
    assert.equal(execs.length, 1, execs.join('\n') + describeRun(second));
  });

  test('with exactly the sudoers rule of docs/server-setup.md, the second run uses the installed executor and uploads nothing', async () => {
    const { name } = await srv.addStack();
    const over = {
      host: narrow.host,
      port: String(narrow.port),
      username: narrow.user,
      private_key: narrow.privateKey,
      host_key: narrow.knownHostsLine,
      srv_root: narrowRoot,
    };
    const first = await deploy(name, images[0]!, over);
    assert.equal(first.code, 0, describeRun(first));
    assert.match(uploadedTo(first) ?? '', /^\/tmp\/seisei-deploy\.\w+$/, 'nothing installed yet: uploaded');

    const second = await deploy(name, images[1]!, over);
    assert.equal(second.code, 0, describeRun(second));
    assert.equal(second.outputs.previous_release_id, first.outputs.release_id);
    assert.ok(usedInstalled(second, narrowRoot), describeRun(second));
    assert.equal(uploadedTo(second), undefined, 'nothing uploaded');
    assert.ok(!second.lines.some((l) => /^Uploaded /.test(l)), describeRun(second));
  });
});
