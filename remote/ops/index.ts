// Operator commands (status, history, verify, unverify, cleanup) register here.
import type { Command } from '../cli.js';

export const operatorCommands: Record<string, Command> = {};
