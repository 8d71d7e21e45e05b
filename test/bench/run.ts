// `npm run bench [-- --quick] [-- --only NAME[,NAME]] [-- --runs N]`: the performance figures of
// issue 7, printed (docs/performance.md holds the results and what was tuned). Runs against real
// Docker, a local registry and, for the action, a loopback sshd, like the e2e tests.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { actionSection } from './action.js';
import { createBench, type Bench } from './context.js';
import { deploySection, rollbackSection } from './deploy.js';
import { fleetSection } from './fleet.js';
import { fmtMs, heading, log, Summary } from './lib.js';
import { provenanceSection } from './provenance.js';
import { scaleSection } from './scale.js';
import { smokeSection } from './smoke.js';

const SECTIONS: Record<string, (b: Bench) => Promise<void>> = {
  deploy: deploySection,
  rollback: rollbackSection,
  action: actionSection,
  smoke: smokeSection,
  scale: scaleSection,
  provenance: provenanceSection,
  fleet: fleetSection,
};

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    runs: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    `usage: npm run bench [-- --quick] [-- --only NAME[,NAME]] [-- --runs N]\n  sections: ${Object.keys(SECTIONS).join(', ')}\n  --quick: 2 runs per side, no warm-up; --runs: runs per side (default 9)\n`,
  );
  process.exit(0);
}
const only = values.only?.split(',').map((s) => s.trim()) ?? Object.keys(SECTIONS);
const unknown = only.filter((n) => !SECTIONS[n]);
if (unknown.length) {
  process.stderr.write(
    `unknown section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}\n`,
  );
  process.exit(2);
}
// 9 by default: with compose v1 varying ±10 % from run to run, medians of 5 moved the ratios by ±0.05.
const runs = values.runs ? Number(values.runs) : values.quick ? 2 : 9;
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('--runs takes a positive integer\n');
  process.exit(2);
}

const summary = new Summary();
const bench = createBench(
  { quick: values.quick, runs, warmup: !values.quick, samples: values.quick ? runs : Math.max(runs, 3) },
  summary,
);
const started = Date.now();
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
log(
  `seisei-deploy bench: ${runs} run(s) per side${values.quick ? ' (quick)' : ''}; sections: ${only.join(', ')}`,
);
log(
  `machine: ${os.cpus().length} CPU(s), load average ${load()} (other work on the machine skews the figures)`,
);

let failed = false;
try {
  for (const name of Object.keys(SECTIONS)) {
    if (!only.includes(name)) continue;
    const began = Date.now();
    try {
      await SECTIONS[name]!(bench);
    } catch (err) {
      failed = true;
      log(`  ${name}: ERROR: ${(err as Error).stack ?? err}`);
      summary.add(name, 'section failed', (err as Error).message.split('\n')[0]!.slice(0, 60), '', 'MISS');
    }
    log(`  (${name}: ${fmtMs(Date.now() - began)}, load average ${load()})`);
  }
} finally {
  const t = await bench.peekTarget();
  await t?.close().catch(() => undefined);
}

heading('summary');
log(summary.render());
log();
log(`load average at the end: ${load()}; total bench time ${fmtMs(Date.now() - started)}`);
process.exitCode = failed ? 1 : 0;
