// seisei-deploy: the remote executor and the operator CLI on the server (DESIGN.md section 11). The
// entry point: it runs main() at load, so nothing imports it; the commands are in cli/commands.ts.
import { HelpRequested } from './argv/args.js';
import { commands } from './cli/commands.js';
import { DeployError, isExpected } from './errors.js';

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'seisei-deploy — image-pinned Docker Compose releases on this server',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options: --root DIR (default /srv), --source DIR, --json, --lock-timeout SECONDS, --help',
    "Run 'seisei-deploy <command> --help' for a command's arguments.",
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new DeployError(`unknown command ${JSON.stringify(name)}\n${help()}`, 2);
  try {
    return await command.main(rest);
  } catch (err) {
    if (!(err instanceof HelpRequested)) throw err;
    process.stdout.write(`${command.summary}\nusage: ${command.usage}\n`);
    return 0;
  }
}

// If the event loop ever drained with work pending, exit non-zero rather than 0.
process.exitCode = 70;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `seisei-deploy: ${isExpected(err) ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`,
    );
    process.exitCode = err instanceof DeployError ? err.code : 1;
  },
);
