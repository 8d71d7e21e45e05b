// The executor's arguments are untrusted (a deploy user whose sudo allows only the executor chooses
// them all): an option's value that looks like an option is refused, never taken as a value.
import { DeployError } from '../errors.js';

/** Throws when a string option's value starts with '-' (only `-` alone, meaning stdin, is allowed). */
export function refuseOptionLikeValues(
  command: string,
  values: Record<string, unknown>,
  usage: string,
): void {
  for (const [name, value] of Object.entries(values))
    if (typeof value === 'string' && value.startsWith('-') && value !== '-')
      throw new DeployError(
        `${command}: the value of --${name} starts with '-' (${JSON.stringify(value.slice(0, 40))}); option values may not look like options\nusage: ${usage}`,
        2,
      );
}
