// The one grammar of image mappings, `ENV_VAR=image-name` per line or comma-separated (`#` starts a
// comment line), read by the action's `images` input and the executor's --images option.
import { ENV_VAR_RE, IMAGE_NAME_RE, type ImageMapping } from './names.js';

export interface ImageLineProblem {
  /** 1-based line of the text the entry is on. */
  line: number;
  /** What is wrong, naming the entry. */
  message: string;
}

export interface ImageLines {
  mapping: ImageMapping;
  /** One problem per bad entry; empty when the text is valid. */
  problems: ImageLineProblem[];
}

export function parseImageLines(text: string): ImageLines {
  const mapping: ImageMapping = {};
  const problems: ImageLineProblem[] = [];
  const entries = text
    .split(/\r?\n/)
    .flatMap((text, i) =>
      text.trim().startsWith('#') ? [] : text.split(',').map((e) => ({ line: i + 1, e })),
    )
    .map(({ line, e }) => ({ line, entry: e.trim() }))
    .filter(({ entry }) => entry);
  for (const { line, entry } of entries) {
    const problem = (message: string) => problems.push({ line, message });
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(entry);
    if (!m) {
      problem(`${JSON.stringify(entry)} is not ENV_VAR=image-name (e.g. IMAGE_REF=seisei-odoo18)`);
      continue;
    }
    const [, name, image] = m as unknown as [string, string, string];
    if (!ENV_VAR_RE.test(name))
      problem(`${JSON.stringify(name)} is not an upper-case variable name like IMAGE_REF or OCR_IMAGE_REF`);
    else if (!IMAGE_NAME_RE.test(image))
      problem(
        `${JSON.stringify(image)} is not an image name from the manifest: image names are [a-z0-9][a-z0-9._-]*`,
      );
    else if (Object.hasOwn(mapping, name)) problem(`${name} is mapped twice`);
    else mapping[name] = image;
  }
  return { mapping, problems };
}
