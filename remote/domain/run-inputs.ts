// Where `run -` stages a run's inputs on the server (request, digest manifest, registry password):
// a private directory beside the run's journal. Read by the CLI that stages and the run that reads.
import type { Layout } from '../../common/layout.js';

/** Where run `key` of `stack` stages its inputs. */
export const stagingDir = (layout: Layout, stack: string, key: string) =>
  `${layout.runsDir(stack)}/${key}.inputs`;

/** The password file `run -` stages for run `key`: the only one a run deletes after reading it. */
export const stagedPasswordFile = (
  layout: Layout,
  stack: string,
  key: string | undefined,
): string | undefined =>
  key === undefined ? undefined : `${stagingDir(layout, stack, key)}/registry-password`;
