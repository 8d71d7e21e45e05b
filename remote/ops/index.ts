// Operator commands (DESIGN.md section 11) on top of the executor: status, history, verify,
// unverify, cleanup, unlock. cli.ts adds them to its command table.
import type { Command } from '../cli/command.js';
import { cleanupCommand } from './cleanup.js';
import { historyCommand } from './history.js';
import { statusCommand } from './status.js';
import { unlockCommand } from './unlock.js';
import { unverifyCommand, verifyCommand } from './verify.js';

export const operatorCommands: Record<string, Command> = {
  verify: verifyCommand,
  unverify: unverifyCommand,
  status: statusCommand,
  history: historyCommand,
  cleanup: cleanupCommand,
  unlock: unlockCommand,
};
