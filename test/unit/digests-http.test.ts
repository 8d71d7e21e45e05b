// The real @actions/artifact and @actions/github code (defaultDeps) against a small local stand-in
// of GitHub's REST API: artifact lookup by run, the 302 download redirect, the runs listing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';

const SHA = 'abc1234def5678901234567890abcdef12345678';
const TAG = 'sha-abc1234';
const digestA = `sha256:${'a'.repeat(64)}`;
const manifest = JSON.stringify({
  git_sha: SHA,
  git_sha7: SHA.slice(0, 7),
  built_at_utc: '2026-01-31T12:00:00Z',
  images: { odoo: { tag: TAG, ref: `ghcr.io/org/odoo@${digestA}`, digest: digestA } },
});
const zip = (() => {
  const z = new AdmZip();
  z.addFile('image-digests.json', Buffer.from(manifest));
  return z.toBuffer();
})();
const zipDigest = 'sha256:' + createHash('sha256').update(zip).digest('hex');

let server: Server;
let base: string;
const requests: string[] = [];
let blob = zip;

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== 'token ghs_test' && !url.pathname.startsWith('/blob/'))
      return json(401, { message: 'Bad credentials' });
    let m: RegExpExecArray | null;
    if ((m = /^\/repos\/org\/app\/actions\/runs\/(\d+)\/artifacts$/.exec(url.pathname))) {
      const found = m[1] === '500' && url.searchParams.get('name') === 'image-digests';
      return json(200, {
        total_count: found ? 1 : 0,
        artifacts: found
          ? [
              {
                id: 7,
                name: 'image-digests',
                size_in_bytes: zip.length,
                digest: zipDigest,
                created_at: '2026-01-31T12:00:00Z',
              },
            ]
          : [],
      });
    }
    if (url.pathname === '/repos/org/app/actions/artifacts/7/zip') {
      res.writeHead(302, { location: `${base}/blob/7.zip?sig=secret` });
      return res.end();
    }
    if (url.pathname === '/blob/7.zip') {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': blob.length });
      return res.end(blob);
    }
    if (url.pathname === '/repos/org/app/actions/workflows/build_ghcr.yml/runs') {
      assert.equal(url.searchParams.get('status'), 'success');
      return json(200, {
        total_count: 2,
        workflow_runs:
          url.searchParams.get('page') === '1'
            ? [
                { id: 501, head_sha: 'f'.repeat(40) },
                { id: 500, head_sha: SHA, created_at: '2026-01-31T11:00:00Z' },
              ]
            : [],
      });
    }
    json(404, { message: 'Not Found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.GITHUB_API_URL = base; // read when @actions/github is first imported
  delete process.env.ACTIONS_RUNTIME_TOKEN;
});
after(() => server.close());

const src = (over = {}) => ({
  artifact: 'image-digests',
  buildWorkflow: 'build_ghcr.yml',
  token: 'ghs_test',
  repository: { owner: 'org', repo: 'app' },
  ...over,
});

describe('real artifact and GitHub clients against a local REST stand-in', () => {
  it('finds the build run by SHA and downloads and verifies its artifact', async () => {
    const { getDigestManifest, defaultDeps } = await import('../../src/digests.js');
    const m = await getDigestManifest(src(), TAG, { ...defaultDeps(), env: {} });
    assert.equal(m.runId, 500);
    assert.equal(m.manifest.git_sha, SHA);
    assert.ok(requests.includes('GET /blob/7.zip?sig=secret'));
  });

  it('rejects a download whose bytes do not match the recorded digest', async () => {
    const { getDigestManifest, defaultDeps } = await import('../../src/digests.js');
    blob = Buffer.from(zip);
    blob[blob.length - 30] = blob[blob.length - 30]! ^ 0xff;
    try {
      await assert.rejects(
        getDigestManifest(src({ buildRunId: 500 }), TAG, { ...defaultDeps(), env: {} }),
        /is corrupt or was altered: its SHA-256 is sha256:[0-9a-f]{64} but GitHub recorded sha256:/,
      );
    } finally {
      blob = zip;
    }
  });

  it('says which run was searched when the artifact is missing', async () => {
    const { getDigestManifest, defaultDeps } = await import('../../src/digests.js');
    await assert.rejects(
      getDigestManifest(src({ buildRunId: 123 }), TAG, { ...defaultDeps(), env: {} }),
      /artifact "image-digests" was not found in run 123 of org\/app .*actions: read/,
    );
    await assert.rejects(
      getDigestManifest(src({ buildRunId: 500, token: 'wrong' }), TAG, { ...defaultDeps(), env: {} }),
      /not found in run 500 of org\/app \(input build_run_id\) \(HTTP 401\).*actions: read/,
    );
  });
});
