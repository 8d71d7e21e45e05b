// The one grammar of image mappings, `ENV_VAR=image-name` per line or comma-separated (`#` starts a
// comment line), read by the action's `images` input and the executor's --images option.
import { ENV_VAR_RE, IMAGE_NAME_RE, type ImageMapping } from './names.js';

export interface ImageLines {
  mapping: ImageMapping;
  /** One message per bad entry, naming it; empty when the text is valid. */
  problems: string[];
}

export function parseImageLines(text: string): ImageLines {
  const mapping: ImageMapping = {};
  const problems: string[] = [];
  const entries = text
    .split(/\r?\n/)
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(entry);
    if (!m) {
      problems.push(`${JSON.stringify(entry)} is not ENV_VAR=image-name (e.g. IMAGE_REF=seisei-odoo18)`);
      continue;
    }
    const [, name, image] = m as unknown as [string, string, string];
    if (!ENV_VAR_RE.test(name))
      problems.push(
        `${JSON.stringify(name)} is not an upper-case variable name like IMAGE_REF or OCR_IMAGE_REF`,
      );
    else if (!IMAGE_NAME_RE.test(image))
      problems.push(
        `${JSON.stringify(image)} is not an image name from the manifest: image names are [a-z0-9][a-z0-9._-]*`,
      );
    else if (Object.hasOwn(mapping, name)) problems.push(`${name} is mapped twice`);
    else mapping[name] = image;
  }
  return { mapping, problems };
}
