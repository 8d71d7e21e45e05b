// The action's inputs as strings: their names, reading them with core.getInput, and masking the
// secrets the moment they are read.
import * as core from '@actions/core';

export const INPUT_NAMES = [
  'mode',
  'environment',
  'stack',
  'image_tag',
  'images',
  'digest_file',
  'digest_artifact',
  'build_run_id',
  'build_workflow',
  'build_branches',
  'github_token',
  'host',
  'hosts',
  'rollout',
  'rollout_wait',
  'on_failure',
  'port',
  'username',
  'private_key',
  'passphrase',
  'host_key',
  'sudo',
  'executor_mismatch',
  'remote_node',
  'srv_root',
  'stacks_source',
  'break_glass',
  'break_glass_reason',
  'steps_back',
  'keep_releases',
  'lock_timeout',
  'timeout_minutes',
  'reconnect_timeout',
  'registry',
  'registry_username',
  'registry_password',
  'actor',
  'run_id',
  'digests',
  'git_sha',
  'upload_artifact',
  'retention_days',
  'provenance',
  'provenance_refs',
  'trusted_root',
  'attest',
] as const;
export type InputName = (typeof INPUT_NAMES)[number];
export type RawInputs = Partial<Record<InputName, string>>;
/** Every input as a string: trimmed, '' when not set. */
export type InputStrings = Record<InputName, string>;

/** Inputs that hold secrets: masked with core.setSecret as soon as they are read. */
export const SECRET_INPUTS = ['private_key', 'passphrase', 'registry_password', 'github_token'] as const;

/** Passwords keep inner and surrounding spaces; only a trailing newline (from pasting) goes. */
const EXACT_INPUTS: readonly InputName[] = ['passphrase', 'registry_password'];
const exact = (v: string) => v.replace(/[\r\n]+$/, '');

/** Reads every input with core.getInput and masks the secrets immediately. */
export function readRawInputs(): RawInputs {
  const raw: RawInputs = {};
  for (const name of INPUT_NAMES) {
    const value = EXACT_INPUTS.includes(name)
      ? exact(core.getInput(name, { trimWhitespace: false }))
      : core.getInput(name);
    if ((SECRET_INPUTS as readonly string[]).includes(name) && value) maskSecret(value);
    raw[name] = value;
  }
  return raw;
}

/** Masks a secret and, for multi-line secrets (keys), each of its longer lines. */
export function maskSecret(value: string): void {
  core.setSecret(value);
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  if (lines.length > 1) for (const l of lines) if (l.length >= 8) core.setSecret(l);
}

/** Raw inputs as the parsers read them: trimmed (passwords: only a trailing newline dropped). */
export function inputStrings(raw: RawInputs): InputStrings {
  return Object.fromEntries(
    INPUT_NAMES.map((n) => [n, EXACT_INPUTS.includes(n) ? exact(raw[n] ?? '') : (raw[n] ?? '').trim()]),
  ) as InputStrings;
}
