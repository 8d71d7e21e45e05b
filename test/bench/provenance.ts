// Section: the provenance gate's own time for two digests, as the committed action spends it: a
// fresh Node process loads dist's gate chunk (Sigstore verification code, the bundled trusted
// root) and verifies a real bundle per digest against a test trusted root. The GitHub API round
// trips are not part of it (the attestations come from memory); they add one request per digest.
import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTestPki } from '../support/sigstore-pki.js';
import type { Bench } from './context.js';
import { fmtMs, fmtStats, heading, log, stats } from './lib.js';

const TARGET_MS = 500;
const run = promisify(execFile);

/** The script the child runs: import the gate chunk, verify, print the milliseconds it took on stderr. */
const CHILD = `
const t0 = performance.now();
const [chunk, dataFile] = process.argv.slice(1);
const data = JSON.parse(require('node:fs').readFileSync(dataFile, 'utf8'));
import(chunk).then(async (g) => {
  const rec = await g.checkProvenance(data.settings, data.manifest, {
    defaultBranch: async () => 'main',
    attestations: async (d) => data.attestations[d].map((bundle) => ({ bundle })),
  }, 'https://github.com');
  if (rec.state !== 'verified') throw new Error('not verified: ' + JSON.stringify(rec));
  process.stderr.write('elapsed_ms=' + (performance.now() - t0));
});`;

export async function provenanceSection(b: Bench): Promise<void> {
  heading('provenance gate: verify two digests (fresh process, dist gate chunk, no API round trips)');
  const chunks = path.resolve('dist', 'chunks');
  const gate = readdirSync(chunks).find((f) => /^gate-.*\.js$/.test(f));
  if (!gate) throw new Error('dist/chunks/gate-*.js missing: run npm run build');
  const pki = await makeTestPki();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-prov-'));
  try {
    const digests = ['1', '2'].map((c) => c.repeat(64));
    const signer = {
      workflowRepo: 'org/app',
      workflowFile: 'build_ghcr.yml',
      workflowRef: 'refs/heads/main',
    };
    const attestations: Record<string, unknown[]> = {};
    for (const d of digests) attestations[`sha256:${d}`] = [await pki.bundle({ signer, subjects: [d] })];
    const rootFile = path.join(dir, 'trusted_root.json');
    writeFileSync(rootFile, JSON.stringify(pki.trustedRoot));
    const dataFile = path.join(dir, 'data.json');
    writeFileSync(
      dataFile,
      JSON.stringify({
        settings: {
          provenance: { mode: 'require', trustedRoot: rootFile },
          digests: { repository: { owner: 'org', repo: 'app' }, buildWorkflow: 'build_ghcr.yml' },
          breakGlass: false,
        },
        manifest: {
          images: Object.fromEntries(digests.map((d, i) => [`img${i}`, { digest: `sha256:${d}` }])),
        },
        attestations,
      }),
    );
    const times: number[] = [];
    for (let i = b.opts.warmup ? -1 : 0; i < b.opts.runs; i++) {
      // The gate logs with @actions/core on stdout; the figure goes to stderr.
      const { stderr } = await run(process.execPath, ['-e', CHILD, path.join(chunks, gate), dataFile]);
      const ms = Number(/elapsed_ms=([\d.]+)/.exec(stderr)?.[1]);
      if (!Number.isFinite(ms)) throw new Error(`no figure from the child: ${stderr}`);
      if (i >= 0) times.push(ms);
    }
    const s = stats(times);
    log(`  load + verify 2 digests: ${fmtStats(s)}`);
    b.summary.check('provenance', 'load gate + verify 2 digests', s.median, TARGET_MS, fmtMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
