// The action run by GitHub's local runner for JavaScript actions, @github/local-action (its real CLI,
// `local-action run <dir> src/main.ts <dotenv>`: it stubs @actions/core, imports the entry file
// and calls its exported run()), against the real sshd, dockerd and registry of the e2e tests.
// One deploy must deploy once: one release directory, one step summary; then `mode: status`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, runnerNode } from '../support/sandbox.js';
import { startDeployServer, type DeployServer, type TestImage } from './action-fixture.js';
import { defaultContext, runnerEnvironment } from './action-harness.js';

const LOCAL_ACTION = path.join(
  REPO_ROOT,
  'node_modules',
  '@github',
  'local-action',
  'bin',
  'local-action.js',
);

/** The process environment local-action keeps; everything else goes through the dotenv file. */
const PROCESS_ENV = ['PATH', 'HOME', 'LANG'];

/** One `NAME='value'` entry of a dotenv file (single quotes: taken literally, newlines included). */
function dotenvEntry(name: string, value: string): string {
  if (value.includes("'")) throw new Error(`local-action test: ${name} holds a single quote`);
  return `${name}='${value}'`;
}

interface LocalActionResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The outputs the stubbed core.setOutput logged (`::set-output name=X::value`). */
  outputs: Record<string, string>;
  /** The `::error::` lines the stubbed core.error / core.setFailed logged. */
  errors: string[];
  summary: string;
}

/** Runs `local-action run <repo> src/main.ts <dotenv>` with the runner's inputs and context in the dotenv file. */
async function localAction(inputs: Record<string, string | undefined>): Promise<LocalActionResult> {
  const { env, workDir, files } = await runnerEnvironment({ inputs, context: defaultContext() });
  const dotenv = path.join(workDir, 'local-action.env');
  await writeFile(
    dotenv,
    Object.entries(env)
      .filter(([name, value]) => value !== undefined && !PROCESS_ENV.includes(name))
      .map(([name, value]) => dotenvEntry(name, value!))
      .join('\n') + '\n',
  );
  // Node 24 first in PATH: local-action re-executes itself through `npm exec tsx`.
  const child = spawn(runnerNode(), [LOCAL_ACTION, 'run', REPO_ROOT, 'src/main.ts', dotenv], {
    cwd: REPO_ROOT,
    env: {
      PATH: `${path.dirname(runnerNode())}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  const lines = stdout.split('\n');
  const outputs: Record<string, string> = {};
  for (const line of lines) {
    const m = /^::set-output name=([^:]+)::(.*)$/.exec(line);
    if (m) outputs[m[1]!] = m[2]!;
  }
  return {
    code,
    stdout,
    stderr,
    outputs,
    errors: lines.filter((l) => l.startsWith('::error')).map((l) => l.replace(/^::error[^:]*::/, '')),
    summary: await readFile(files.summary, 'utf8'),
  };
}

const describeRun = (r: LocalActionResult) =>
  `exit ${r.code}\n--- stdout ---\n${r.stdout.slice(-6000)}\n--- stderr ---\n${r.stderr.slice(-3000)}`;
const headings = (html: string, level: number) =>
  [...html.matchAll(new RegExp(`<h${level}>(.*?)</h${level}>`, 'g'))].map((m) => m[1]);

describe('the action under @github/local-action (the real CLI) against a real server', () => {
  let srv: DeployServer;
  let stack: { name: string; port: number };
  let img: TestImage;

  before(async () => {
    srv = await startDeployServer();
    stack = await srv.addStack();
    img = await srv.image();
  });
  after(async () => {
    await srv?.close();
  });

  test('one deploy creates exactly one release and one step summary; then mode status reports it', async () => {
    const r = await localAction(
      srv.inputs({
        stack: stack.name,
        environment: 'staging',
        image_tag: img.tag,
        digest_file: img.manifestFile,
      }),
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(r.errors, [], describeRun(r));
    const releases = (await srv.snapshot(stack.name)).releases;
    assert.equal(releases.length, 1, `release directories: ${releases.join(', ')}\n${describeRun(r)}`);
    assert.deepEqual(headings(r.summary, 2), [`seisei-deploy deploy ${stack.name} → staging`], r.summary);
    assert.equal(r.outputs.status, 'success', describeRun(r));
    assert.equal(r.outputs.release_id, releases[0]);
    assert.equal(r.outputs.image_digest, img.digest);
    assert.equal(srv.history(stack.name).length, 1, 'one history record');

    const s = await localAction(srv.inputs({ mode: 'status', stack: stack.name }));
    assert.equal(s.code, 0, describeRun(s));
    assert.deepEqual(s.errors, [], describeRun(s));
    assert.equal(s.outputs.status, 'success', describeRun(s));
    assert.equal(s.outputs.release_id, releases[0]);
    assert.equal(s.outputs.image_digest, img.digest);
    assert.deepEqual(headings(s.summary, 2), [`seisei-deploy status on ${srv.sshd.host}`], s.summary);
    assert.match(s.summary, new RegExp(`<td>${stack.name}</td><td>staging</td><td>${releases[0]}</td>`));
  });
});
