// The executor's expected failures: a message for the user and an exit code, never a stack trace.
import { ManifestError } from '../common/digest-manifest.js';

/** An expected failure with a message meant for the user (no stack trace). `code` is the exit code. */
export class DeployError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = 'DeployError';
  }
}

/** Failures the tool anticipates; anything else is a bug and is logged with its stack. */
export function isExpected(err: unknown): boolean {
  return err instanceof DeployError || err instanceof ManifestError;
}
