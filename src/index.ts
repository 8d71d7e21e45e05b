// The action's entry point (bundled to dist/index.js, which action.yml runs): it only calls run();
// the logic is in main.ts, which runs nothing when imported (the layout of actions/typescript-action).
import { run } from './main.js';

await run();
