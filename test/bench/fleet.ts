// Section: a fleet deploy on the three-host lab (test/support/hosts.ts), the committed action run as
// the runner runs it: one host (the one-host form), a fleet of that one host, three hosts in
// parallel, and three hosts one after another (rollout 1), interleaved; each side on its own stack, switching tags every run.
// Beside them the floor of this machine: the same deploy started by hand over ssh (`ssh host sudo
// <node> <installed cli> deploy …`) on one host and on the three hosts at once — the hosts' dockerds
// share its cores, so the hand-run parallel deploy is slower than one too.
// Per host: the executor's own duration of each rolling run (its history record), and each batch's
// span on the runner's clock (from its "Batch k of n" line to the next one, the last to the result).
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { layout } from '../../common/layout.js';
import { makeServerRoot } from '../e2e/action-fixture.js';
import { runAction, describeRun, type LineHook } from '../e2e/action-harness.js';
import { startLab, type LabHost } from '../support/hosts.js';
import { makeTempDir, run, serverNode, sshArgs, writeSampleStack } from '../support/sandbox.js';
import type { Bench } from './context.js';
import { fmtMs, fmtStats, heading, log, ratio, stats, timed } from './lib.js';

const PARALLEL_LIMIT = 1.3;
/** A rolling deploy ≈ the sum of its batches: at most this × three one-host deploys. */
const ROLLING_LIMIT = 1.1;
const SOURCE = '/opt/seisei-odoo-addons/infra/stacks';

export async function fleetSection(b: Bench): Promise<void> {
  heading('fleet: one host vs three hosts in parallel vs three hosts one after another (lab hosts)');
  const lab = await startLab({ hosts: 3, registry: true });
  try {
    const hosts = lab.hosts;
    const tmp = await makeTempDir('bench-fleet');
    const rnd = randomBytes(3).toString('hex');
    const tags: { tag: string; file: string }[] = [];
    for (const k of ['a', 'b']) {
      const img = await lab.pushImage('ok', `bench-${k}-${rnd}`);
      const file = path.join(tmp, `digests-${k}.json`);
      await writeFile(
        file,
        JSON.stringify({
          git_sha: 'a'.repeat(40),
          git_sha7: 'a'.repeat(7),
          built_at_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          images: { app: { tag: img.tag, ref: img.ref, digest: img.digest } },
        }),
      );
      tags.push({ tag: img.tag, file });
    }
    const sides = {
      single: `bs-${rnd}`,
      one: `bo-${rnd}`,
      parallel: `bp-${rnd}`,
      rolling: `br-${rnd}`,
      handOne: `bh-${rnd}`,
      handParallel: `bq-${rnd}`,
    } as const;
    // Each host's /srv as docs/server-setup.md makes it (root's, 0755 down to releases/), so that
    // the executor a deploy installs is reused, as on a real server: the lab's own /srv lets the
    // executor create releases/ 0750, and every deploy would upload it again.
    for (const h of hosts) await makeServerRoot(h.hostPath('/srv'));
    let port = 8200;
    for (const stack of Object.values(sides)) {
      port++;
      for (const h of hosts)
        await writeSampleStack(h.hostPath(`${SOURCE}/${stack}`), { port, publishAddress: '0.0.0.0' });
    }
    const login = {
      username: hosts[0]!.sshd.user,
      private_key: hosts[0]!.sshd.privateKey,
      host_key: hosts.map((h) => h.sshd.knownHostsLine).join('\n'),
      remote_node: serverNode(),
      registry: lab.registry!.address,
      registry_username: lab.registry!.username,
      registry_password: lab.registry!.password,
    };
    const deploy = async (
      stack: string,
      i: number,
      where: Record<string, string>,
      hooks: LineHook[] = [],
    ) => {
      const t = tags[(i + 2) % 2]!;
      const r = await runAction({
        inputs: { ...login, ...where, stack, environment: 'staging', image_tag: t.tag, digest_file: t.file },
        hooks,
      });
      if (r.code !== 0) throw new Error(`deploy failed: ${describeRun(r)}`);
      return r.durationMs;
    };
    /** Runner-clock moments of the rolling deploy's batch lines and its result line. */
    const batchHooks = (at: number[]): LineHook[] => [
      // A hook fires once: one per batch line.
      ...hosts.map((_, k) => ({
        match: new RegExp(`^Batch ${k + 1} of `),
        run: () => void (at[k] = Date.now()),
      })),
      { match: /^✅ deploy succeeded on /, run: () => void (at[hosts.length] = Date.now()) },
    ];
    const lastDuration = async (h: LabHost, stack: string) => {
      const lines = (await readFile(h.hostPath('/srv/releases/deploy_history.log'), 'utf8')).split('\n');
      const recs = lines.filter(Boolean).map((l) => JSON.parse(l) as { stack: string; duration_ms: number });
      return recs.filter((r) => r.stack === stack).at(-1)!.duration_ms;
    };
    /** The same deploy by hand: ssh to the host, sudo the installed executor (no login: the image is there). */
    const byHand = async (h: LabHost, stack: string, i: number) => {
      const t = tags[(i + 2) % 2]!;
      const digests = `/tmp/bench-digests-${i + 2}.json`;
      await writeFile(h.hostPath(digests), await readFile(t.file), { mode: 0o644 });
      const res = await run('ssh', [
        ...sshArgs(h.sshd),
        ...['sudo', '-n', serverNode(), layout('/srv').cli, 'deploy', stack, 'staging', t.tag],
        ...['--digest-file', digests, '--actor', 'octocat', '--run-id', String(9000 + i)],
      ]);
      if (res.code !== 0)
        throw new Error(`deploy by hand on ${h.name} failed (${res.code}): ${res.stderr.slice(-2000)}`);
    };
    const hostsLines = hosts.map((h) => h.ip).join('\n');
    const samples = {
      single: [] as number[],
      one: [] as number[],
      parallel: [] as number[],
      rolling: [] as number[],
      handOne: [] as number[],
      handParallel: [] as number[],
    };
    const perHost: number[][] = hosts.map(() => []);
    const perBatch: number[][] = hosts.map(() => []);
    for (let i = b.opts.warmup ? -1 : 0; i < b.opts.runs; i++) {
      const single = await deploy(sides.single, i, { host: hosts[0]!.ip });
      const one = await deploy(sides.one, i, { hosts: hosts[0]!.ip });
      const parallel = await deploy(sides.parallel, i, { hosts: hostsLines, rollout: 'parallel' });
      const at: number[] = [];
      const rolling = await deploy(sides.rolling, i, { hosts: hostsLines, rollout: '1' }, batchHooks(at));
      if (at.length !== hosts.length + 1)
        throw new Error(`expected ${hosts.length} batch lines and a result, saw ${at.length}`);
      // By hand after the action's runs: this run's image is on every host by now.
      const handOne = await timed(() => byHand(hosts[0]!, sides.handOne, i));
      const handParallel = await timed(() => Promise.all(hosts.map((h) => byHand(h, sides.handParallel, i))));
      if (i < 0) continue;
      samples.handOne.push(handOne);
      samples.handParallel.push(handParallel);
      samples.single.push(single);
      samples.one.push(one);
      samples.parallel.push(parallel);
      samples.rolling.push(rolling);
      for (const [k, h] of hosts.entries()) perHost[k]!.push(await lastDuration(h, sides.rolling));
      for (const k of hosts.keys()) perBatch[k]!.push(at[k + 1]! - at[k]!);
    }
    const s = stats(samples.single);
    const o = stats(samples.one);
    const p = stats(samples.parallel);
    const r = stats(samples.rolling);
    log(`  one host (host input):        ${fmtStats(s)}`);
    log(`  a fleet of one (hosts input): ${fmtStats(o)}`);
    log(`  three hosts, parallel:        ${fmtStats(p)}`);
    log(`  three hosts, rollout 1:       ${fmtStats(r)}`);
    const ho = stats(samples.handOne);
    const hp = stats(samples.handParallel);
    log(`  by hand, one host:            ${fmtStats(ho)}`);
    log(`  by hand, three hosts at once: ${fmtStats(hp)}`);
    const hostMedians = perHost.map((xs) => stats(xs).median);
    for (const [k, h] of hosts.entries()) {
      log(`    rolling, batch ${k + 1} (${h.name}) on the runner's clock: ${fmtStats(stats(perBatch[k]!))}`);
      log(`    rolling, ${h.name}'s run on the server: ${fmtStats(stats(perHost[k]!))}`);
    }
    const batchMedians = perBatch.map((xs) => stats(xs).median);
    const batches = batchMedians.reduce((a, x) => a + x, 0);
    const sum = hostMedians.reduce((a, x) => a + x, 0);
    log(
      `  rolling / sum of the hosts' runs: ${ratio(r.median / sum)}; parallel / one host: ${ratio(p.median / s.median)}`,
    );
    b.summary.check('fleet', 'parallel 3 hosts / one host', p.median / s.median, PARALLEL_LIMIT, ratio);
    b.summary.add(
      'fleet',
      'by hand (ssh sudo … deploy): 3 hosts at once / one host (this machine’s floor)',
      ratio(hp.median / ho.median),
    );
    b.summary.add(
      'fleet',
      'parallel 3 hosts / the same by hand; one host / by hand',
      `${ratio(p.median / hp.median)}; ${ratio(s.median / ho.median)}`,
    );
    b.summary.add(
      'fleet',
      'what the action adds to the hand-run deploy: 3 hosts in parallel; one host',
      `${fmtMs(p.median - hp.median)}; ${fmtMs(s.median - ho.median)}`,
    );
    b.summary.add('fleet', 'fleet of one host / one host (the dry run’s cost)', ratio(o.median / s.median));
    b.summary.add('fleet', 'rolling 3 hosts', fmtMs(r.median));
    b.summary.check(
      'fleet',
      'rolling 3 hosts / (3 × one host)',
      r.median / (3 * s.median),
      ROLLING_LIMIT,
      ratio,
    );
    b.summary.add(
      'fleet',
      'rolling: its batches (runner clock) / the rest',
      `${fmtMs(batches)} (${batchMedians.map(fmtMs).join(' + ')}) / ${fmtMs(r.median - batches)}`,
    );
    b.summary.add(
      'fleet',
      'sum of the 3 hosts’ runs (rolling)',
      `${fmtMs(sum)} (${hostMedians.map(fmtMs).join(' + ')})`,
    );
  } finally {
    await lab.stop();
  }
}
