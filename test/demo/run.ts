// `npm run demo`: the whole story on a local sandbox, through the committed dist/index.js run
// exactly as the Actions runner runs it. Exit code 0 only if every step behaved as the story says.
// `npm run demo -- --down` removes the sandbox.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { runAction, type ActionResult } from '../e2e/action-harness.js';
import { buildAndPush, run, serverNode, type AppVariant } from '../support/sandbox.js';
import { HOME, STACKS, sandboxDown, sandboxUp, type Sandbox } from './sandbox.js';
import { fleetChapter } from './fleet.js';
import { renderJobLog } from './job-log.js';

interface Step {
  title: string;
  expect: string;
  act: () => Promise<string>; // returns what was observed; throws when the story is broken
}

const say = (line = '') => process.stdout.write(line + '\n');

async function main(): Promise<number> {
  if (process.argv.includes('--down')) {
    await sandboxDown(say);
    return 0;
  }
  const prepared = spawnSync('bash', [path.join('scripts', 'prepare-machine.sh')], { stdio: 'inherit' });
  if (prepared.status !== 0) return prepared.status ?? 1;
  const box = await sandboxUp(say);
  const story = await makeStory(box);
  const rows: [string, string, string, string][] = [];
  for (const [i, step] of story.entries()) {
    say(`\n━━ ${i + 1}. ${step.title}`);
    let observed: string;
    let ok = true;
    try {
      observed = await step.act();
    } catch (err) {
      observed = (err as Error).message;
      ok = false;
    }
    say(`${ok ? '✓' : '✗'} expected: ${step.expect} — got: ${observed}`);
    rows.push([String(i + 1), step.title, step.expect, ok ? `✓ ${observed}` : `✗ ${observed}`]);
  }
  say('\n' + table(['#', 'step', 'expected', 'result'], rows));
  const failed = rows.filter((r) => r[3].startsWith('✗')).length;
  say(
    failed
      ? `\n${failed} step(s) did not behave as the story says.`
      : '\nEvery step behaved as the story says.',
  );
  say(`Sandbox kept in ${HOME} for the next run; remove it with: npm run demo -- --down`);
  return failed ? 1 : 0;
}

async function makeStory(box: Sandbox): Promise<Step[]> {
  // Each run of the demo builds new commits: a random 40-hex SHA, tagged sha-<first 7>.
  const commits = new Map<string, string>();
  const tag = () => {
    const sha = randomBytes(20).toString('hex');
    commits.set(`sha-${sha.slice(0, 7)}`, sha);
    return `sha-${sha.slice(0, 7)}`;
  };
  const [good, broken, fixed] = [tag(), tag(), tag()];
  const manifests = path.join(HOME, 'manifests');
  mkdirSync(manifests, { recursive: true });
  const ssh = {
    host: '127.0.0.1',
    port: String(box.sshd.port),
    username: box.sshd.user,
    private_key: box.sshd.privateKey,
    host_key: box.sshd.knownHostsLine,
    remote_node: serverNode(),
    srv_root: box.root,
    stacks_source: box.source,
    registry: box.registry.host,
    registry_username: box.registry.user,
    registry_password: box.registry.password,
  };
  const action = async (title: string, inputs: Record<string, string>): Promise<ActionResult> => {
    const r = await runAction({
      inputs: { provenance: 'off', ...inputs },
      context: { actor: 'demo-user' },
      timeoutMs: 120_000,
    });
    say(renderJobLog(title, r));
    return r;
  };
  const publish = async (t: string, variant: AppVariant) => {
    const image = await buildAndPush(box.registry, 'demo-app', t, variant);
    const r = await action(`build ${t}: mode manifest`, {
      mode: 'manifest',
      image_tag: t,
      git_sha: commits.get(t)!,
      digests: `demo-app=${image.ref}`,
      upload_artifact: 'false',
    });
    need(r, 'success');
    const file = path.join(manifests, `${t}.json`);
    copyFileSync(r.outputs.manifest_file!, file);
    return file;
  };
  const files: Record<string, string> = {};
  const deploy = (t: string, env: 'staging' | 'production') =>
    action(`deploy ${t} to ${env}`, {
      ...ssh,
      mode: 'deploy',
      environment: env,
      stack: STACKS[env],
      image_tag: t,
      digest_file: files[t]!,
    });

  return [
    {
      title: 'Build side: publish the digest manifest of a good image',
      expect: 'image-digests.json validated',
      act: async () => {
        files[good] = await publish(good, 'ok');
        return `manifest for ${good}`;
      },
    },
    {
      title: `Deploy ${good} to staging`,
      expect: 'success',
      act: async () => outcome(need(await deploy(good, 'staging'), 'success')),
    },
    {
      title: `Deploy ${good} to production before it is verified`,
      expect: 'refused: Version not verified',
      act: async () => {
        const r = need(await deploy(good, 'production'), 'failed');
        if (!r.errors.some((e) => e.startsWith('Version not verified:')))
          throw new Error(`no gate error: ${r.errors.join('; ')}`);
        return r.errors.find((e) => e.startsWith('Version not verified'))!;
      },
    },
    {
      title: `Verify ${good} after the staging checks`,
      expect: 'marker written',
      act: async () => {
        const r = need(
          await action(`verify ${good}`, {
            ...ssh,
            mode: 'verify',
            image_tag: good,
            digest_file: files[good]!,
          }),
          'success',
        );
        return `verified ${good}${r.outputs.manifest ? ' with its digests' : ''}`;
      },
    },
    {
      title: `Deploy ${good} to production`,
      expect: 'success',
      act: async () => outcome(need(await deploy(good, 'production'), 'success')),
    },
    {
      title: `Deploy a broken release ${broken} (health answers 404) to staging`,
      expect: 'rolled_back, staging serves the previous release',
      act: async () => {
        files[broken] = await publish(broken, 'not-found');
        const r = need(await deploy(broken, 'staging'), 'rolled_back');
        const body = await fetchHealth(box, STACKS.staging);
        if (!body.includes(good)) throw new Error(`staging answers ${JSON.stringify(body)}, not ${good}`);
        return `${r.outputs.status}; staging answers "${body.trim()}"`;
      },
    },
    {
      title: `Deploy a fixed release ${fixed} to staging`,
      expect: 'success',
      act: async () => {
        files[fixed] = await publish(fixed, 'ok');
        return outcome(need(await deploy(fixed, 'staging'), 'success'));
      },
    },
    {
      title: 'Roll staging back one release by hand',
      expect: `success, ${good} live again`,
      act: async () => {
        const r = need(
          await action('rollback staging', {
            ...ssh,
            mode: 'rollback',
            environment: 'staging',
            stack: STACKS.staging,
            steps_back: '1',
          }),
          'success',
        );
        if (!r.outputs.release_id?.startsWith(good))
          throw new Error(`rolled back to ${r.outputs.release_id}`);
        return `live: ${r.outputs.release_id}`;
      },
    },
    {
      title: 'Status of every stack on the server',
      expect: 'both stacks consistent',
      act: async () => {
        const r = need(await action('status', { ...ssh, mode: 'status' }), 'success');
        const report = JSON.parse(r.outputs.manifest ?? '{}') as {
          stacks?: { stack: string; problems: unknown[] }[];
        };
        const ours = (report.stacks ?? []).filter((s) =>
          (Object.values(STACKS) as string[]).includes(s.stack),
        );
        const drifting = ours.filter((s) => s.problems.length);
        if (ours.length !== 2 || drifting.length)
          throw new Error(
            `stacks reported: ${ours.map((s) => `${s.stack} (${s.problems.length} problems)`).join(', ')}`,
          );
        return `${ours.map((s) => s.stack).join(' and ')}: symlink, manifest and containers agree`;
      },
    },
    {
      title: 'History, as an operator on the server sees it',
      expect: 'the records of this story',
      act: async () => {
        const cli = path.join(box.root, 'releases', 'bin', 'seisei-deploy');
        const h = await run(serverNode(), [cli, 'history', '-n', '12', '--root', box.root]);
        say(h.stdout.trimEnd());
        if (h.code !== 0) throw new Error(h.stderr.trim());
        return `${h.stdout.trim().split('\n').length - 1} recent records`;
      },
    },
    ...fleetChapter(action),
  ];
}

function need(r: ActionResult, status: string): ActionResult {
  if (r.outputs.status !== status)
    throw new Error(`status ${r.outputs.status ?? `none (exit ${r.code})`}, expected ${status}`);
  if ((status === 'success') !== (r.code === 0))
    throw new Error(`exit code ${r.code} does not match status ${status}`);
  return r;
}

const outcome = (r: ActionResult) => `${r.outputs.status}: ${r.outputs.release_id}`;

async function fetchHealth(box: Sandbox, stack: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${box.ports[stack]}/cgi-bin/health`);
  return res.text();
}

function table(head: string[], rows: string[][]): string {
  const all = [head, ...rows];
  const width = head.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(width[c]!)).join('  ');
  return [line(head), width.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
