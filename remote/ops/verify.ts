// `verify` and `unverify`: write or remove the staging-verified marker of an image tag
// (DESIGN.md section 6), recorded in the history with the actor.
import { readFileSync, unlinkSync } from 'node:fs';
import type { Command } from '../cli/command.js';
import { pathArg } from '../argv/args.js';
import { parseDigestManifest } from '../../common/digest-manifest.js';
import {
  describeProvenance,
  formatIssues,
  provenanceRecord,
  type ProvenanceRecord,
} from '../../common/request.js';
import { readInputFile } from '../caller.js';
import { DeployError } from '../errors.js';
import { fsyncDir, writeFileAtomic } from '../fsutil.js';
import type { Layout } from '../../common/layout.js';
import { errorMessage } from '../report.js';
import { parseMarker, type StoredMarker, type VerifiedMarker } from '../domain/verified-marker.js';
import { appendRecord, historyRecord } from '../domain/records.js';
import { recordedOpParser, tagArg } from './argv.js';
import { print, printJson, table } from './table.js';

/** What a marker file held: JSON, `empty` (made by `touch`), or `unreadable`. */
export type MarkerContent = StoredMarker | 'empty' | 'unreadable';

export function readMarker(layout: Layout, tag: string): MarkerContent | undefined {
  let text: string;
  try {
    text = readFileSync(layout.marker(tag), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const read = parseMarker(text);
  return read.kind === 'marker' ? read.marker : read.kind === 'empty' ? 'empty' : 'unreadable';
}

/** `{name: digest}` of every image in the digest manifest, which must carry `tag`. */
export function digestsFromFile(file: string, tag: string): Record<string, string> {
  // `-` is stdin; under sudo the file is read with the caller's rights (caller.ts).
  const text = readInputFile(file, '--digest-file');
  try {
    const m = parseDigestManifest(text, tag);
    return Object.fromEntries(Object.entries(m.images).map(([name, img]) => [name, img.digest]));
  } catch (err) {
    throw new DeployError(`--digest-file ${file}: ${errorMessage(err)}`, 2);
  }
}

/** The action's provenance result for the marker (--provenance=JSON), validated like a request field. */
export function provenanceArg(text: string): ProvenanceRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new DeployError(`--provenance is not JSON: ${errorMessage(err)}`, 2);
  }
  const r = provenanceRecord.safeParse(data);
  if (!r.success) throw new DeployError(`--provenance: ${formatIssues(r.error)}`, 2);
  return r.data;
}

const who = (actor: string) => ({ actor, run_id: '', break_glass: false, break_glass_reason: '' });

export function verifyTag(
  layout: Layout,
  tag: string,
  opts: { digests: Record<string, string>; note: string; actor: string; provenance?: ProvenanceRecord },
): { path: string; marker: VerifiedMarker; replaced: MarkerContent | undefined } {
  const started = Date.now();
  const replaced = readMarker(layout, tag);
  const marker: VerifiedMarker = {
    image_tag: tag,
    digests: opts.digests,
    verified_at: new Date().toISOString(),
    verified_by: opts.actor,
    note: opts.note,
    ...(opts.provenance ? { provenance: opts.provenance } : {}),
  };
  writeFileAtomic(layout.marker(tag), JSON.stringify(marker, null, 2) + '\n');
  appendRecord(
    layout,
    historyRecord(
      { stack: '', env: '', mode: 'verify', status: 'success', started },
      who(opts.actor),
      { image_tag: tag },
      '',
      {
        digests: opts.digests,
        note: opts.note,
        marker: layout.marker(tag),
        ...(opts.provenance ? { provenance: opts.provenance } : {}),
      },
    ),
  );
  return { path: layout.marker(tag), marker, replaced };
}

export function unverifyTag(
  layout: Layout,
  tag: string,
  opts: { note: string; actor: string },
): { path: string; removed: MarkerContent } {
  const started = Date.now();
  const path = layout.marker(tag);
  const removed = readMarker(layout, tag);
  if (removed === undefined)
    throw new DeployError(`${tag} is not verified: ${path} does not exist (nothing to remove)`);
  unlinkSync(path);
  fsyncDir(layout.verifiedDir);
  appendRecord(
    layout,
    historyRecord(
      { stack: '', env: '', mode: 'unverify', status: 'success', started },
      who(opts.actor),
      { image_tag: tag },
      '',
      {
        digests: typeof removed === 'object' ? (removed.digests ?? {}) : {},
        note: opts.note,
        marker: path,
      },
    ),
  );
  return { path, removed };
}

function describeMarker(m: MarkerContent | undefined): string {
  if (m === undefined) return 'none';
  if (m === 'empty') return 'an empty marker (touch)';
  if (m === 'unreadable') return 'an unreadable marker';
  return `the marker written ${m.verified_at ?? '?'} by ${m.verified_by || '?'}`;
}

const verifyOptions = { 'digest-file': { type: 'string' }, provenance: { type: 'string' } } as const;
const parseVerifyArgs = recordedOpParser('verify', 'image_tag', tagArg, 'note', verifyOptions);

export const verifyCommand: Command = {
  usage:
    'seisei-deploy verify <image_tag> [--digest-file F|-] [--provenance JSON] [--note "..."] [--actor A] [--root DIR] [--json]',
  summary: 'mark an image tag as verified on staging (production deploys need it)',
  async main(argv) {
    const { v, target: tag, layout, text: note, actor } = parseVerifyArgs(argv, this.usage);
    const file = pathArg(v['digest-file']);
    const digests = file ? digestsFromFile(file, tag) : {};
    const provenance = v.provenance ? provenanceArg(v.provenance) : undefined;
    const done = verifyTag(layout, tag, { digests, note, actor, provenance });
    if (v.json) {
      printJson(done);
      return 0;
    }
    const names = Object.entries(digests);
    print(
      [
        `verified ${tag} by ${actor}: ${done.path}`,
        done.replaced !== undefined ? `  (replaced ${describeMarker(done.replaced)})` : '',
        `  provenance: ${describeProvenance(provenance)}`,
        names.length
          ? table(names, { indent: '  ' })
          : '  no digests recorded: the gate accepts any digests for this tag (give --digest-file to bind it to the built images)',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return 0;
  },
};

const parseUnverifyArgs = recordedOpParser('unverify', 'image_tag', tagArg, 'note');

export const unverifyCommand: Command = {
  usage: 'seisei-deploy unverify <image_tag> [--note "why"] [--actor A] [--root DIR] [--json]',
  summary: 'remove the verified marker of an image tag (production deploys of it fail again)',
  async main(argv) {
    const { v, target: tag, layout, text: note, actor } = parseUnverifyArgs(argv, this.usage);
    const done = unverifyTag(layout, tag, { note, actor });
    if (v.json) printJson(done);
    else print(`unverified ${tag}: removed ${describeMarker(done.removed)} at ${done.path}`);
    return 0;
  },
};
