// Every input of the action (design.md section 11) turned into one typed Settings object, before
// any network call: each input parsed once by its concern's parser, then the rules between them.
// Each error names the input and the expected form; all errors are reported at once.
import type { ServerOptions } from '../host/config.js';
import type { SshEndpoint } from '../ssh/target.js';
import { DIGEST_SOURCE_FIELDS, digestSource, type DigestSource } from './digest-source.js';
import { InputError, Problems, parseFields } from './fields.js';
import { FLEET_FIELDS, fleetSettings, type FleetSettings } from './fleet.js';
import { MANIFEST_FIELDS, manifestInputs, type ManifestInputs } from './manifest.js';
import { inputStrings, readRawInputs, type InputName, type RawInputs } from './raw.js';
import { REGISTRY_FIELDS, registryCredentials, type RegistryCredentials } from './registry.js';
import { PROVENANCE_FIELDS, provenanceSettings, type ProvenanceSettings } from './provenance.js';
import { RUN_FIELDS, githubContext, runSettings, type Mode, type RunSettings } from './run.js';
import { TARGET_FIELDS, TARGET_REQUIRED_WHY, serverOptions, sshEndpoint } from './target.js';

export interface Settings extends RunSettings {
  digests: DigestSource;
  /** Absent only in manifest mode, which builds the digest manifest and connects nowhere. */
  target?: SshEndpoint;
  /** With the hosts input: every host's endpoint and the rollout policy (target is the first host). */
  fleet?: FleetSettings;
  /** Present only in manifest mode. */
  manifest?: ManifestInputs;
  server: ServerOptions;
  /** Credentials and the one host they may be sent to (the registry input, never the manifest). */
  registry?: RegistryCredentials;
  /** The provenance gate (design.md section 15): default require for gated environments. */
  provenance: ProvenanceSettings;
}

/** The parsers of every input, by concern: each input belongs to exactly one. */
export const FIELDS_BY_CONCERN = {
  run: RUN_FIELDS,
  target: TARGET_FIELDS,
  fleet: FLEET_FIELDS,
  digestSource: DIGEST_SOURCE_FIELDS,
  registry: REGISTRY_FIELDS,
  manifest: MANIFEST_FIELDS,
  provenance: PROVENANCE_FIELDS,
};

/** Which inputs each mode needs. */
const REQUIRED: Record<Mode, InputName[]> = {
  deploy: ['stack', 'environment', 'image_tag', 'host', 'username', 'private_key', 'host_key'],
  rollback: ['stack', 'environment', 'host', 'username', 'private_key', 'host_key'],
  verify: ['image_tag', 'host', 'username', 'private_key', 'host_key'],
  status: ['host', 'username', 'private_key', 'host_key'],
  manifest: ['image_tag', 'digests'],
};

/** Pure: raw input strings + the GitHub context (GITHUB_* variables) -> Settings, or InputError. */
export function parseSettings(raw: RawInputs, env: NodeJS.ProcessEnv = process.env): Settings {
  const strings = inputStrings(raw);
  const p = new Problems();
  const run = parseFields(FIELDS_BY_CONCERN.run, strings, p);
  const target = parseFields(FIELDS_BY_CONCERN.target, strings, p);
  const fleetInputs = parseFields(FIELDS_BY_CONCERN.fleet, strings, p);
  const isFleet = strings.hosts !== '';
  const source = parseFields(FIELDS_BY_CONCERN.digestSource, strings, p);
  const reg = parseFields(FIELDS_BY_CONCERN.registry, strings, p);
  const build = parseFields(FIELDS_BY_CONCERN.manifest, strings, p);
  const gate = parseFields(FIELDS_BY_CONCERN.provenance, strings, p);
  const mode = p.failed.has('mode') ? undefined : (run.mode ?? 'deploy');
  const values: Partial<Record<InputName, unknown>> = {
    ...run,
    ...target,
    ...fleetInputs,
    ...source,
    ...reg,
    ...build,
    ...gate,
  };
  for (const name of mode ? REQUIRED[mode] : []) {
    if (name === 'host' && isFleet) continue; // hosts names them
    p.require(
      name,
      values[name],
      TARGET_REQUIRED_WHY[name as keyof typeof TARGET_REQUIRED_WHY] ?? `for mode ${mode}`,
    );
  }

  const ctx = githubContext(env);
  const runPart = runSettings(run, mode ?? 'deploy', ctx, p);
  const registry = registryCredentials(reg, (n) => strings[n] !== '', p);
  const manifestMode = mode === 'manifest';
  const digests = digestSource(
    manifestMode ? { ...source, git_sha: undefined } : source,
    run.image_tag,
    ctx,
    p,
  );
  const manifest = manifestMode
    ? manifestInputs(build, source.git_sha || ctx.sha, p.failed.has('git_sha'), p)
    : undefined;
  const fleet =
    mode === 'manifest'
      ? undefined
      : fleetSettings(
          fleetInputs,
          strings.host,
          {
            username: target.username,
            privateKey: target.private_key,
            passphrase: target.passphrase,
            port: target.port,
            hostKeys: target.host_key,
          },
          p,
        );
  if (fleet && mode === 'rollback' && (run.steps_back ?? 1) !== 1)
    p.fail(
      'steps_back',
      'steps_back: a fleet rollback goes to the newest image tag every host can roll back to; leave steps_back at 1 with hosts',
    );
  const endpoint = fleet ? fleet.endpoints[0] : sshEndpoint(target, p);
  if (p.list.length || !mode) throw new InputError(p.list.length ? p.list : ['invalid inputs']);
  return {
    ...runPart,
    digests,
    manifest,
    target: manifestMode ? undefined : endpoint,
    ...(fleet ? { fleet } : {}),
    server: serverOptions(target),
    registry,
    provenance: provenanceSettings(gate, mode, run.environment),
  };
}

/** Reads, masks and validates all inputs. Throws InputError. */
export function getSettings(): Settings {
  return parseSettings(readRawInputs(), process.env);
}
