// A model of how the GitHub Actions runner reads an action's stdout (actions/runner:
// ProcessInvoker reads lines with .NET StreamReader.ReadLine, ActionCommandManager tries
// ActionCommand.TryParseV2, then TryParse), made conservative where .NET compares culture-
// sensitively: characters such a comparison may ignore (controls, format characters, default
// ignorables) are dropped before matching. Any command name counts (a stop-commands token can be
// anything). Used to prove that text from the server never becomes a workflow command.

export interface RunnerCommand {
  /** Which syntax: `::name::data` (v2) or `##[name]data` (v1, anywhere in a line). */
  syntax: 'v2' | 'v1';
  name: string;
  data: string;
  line: string;
}

/** Line ends of StreamReader.ReadLine: CRLF, CR, LF. */
export const runnerLines = (stdout: string): string[] => stdout.split(/\r\n|\r|\n/);

const IGNORED = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
/** char.IsWhiteSpace: Zs, Zl, Zp, U+0009-U+000D, U+0085, U+00A0 (JS \s covers these but U+0085). */
const DOTNET_SPACE = /^[\s\u0085]+/u;

/** The command the runner would run for this line, if any. */
export function runnerCommand(line: string): RunnerCommand | undefined {
  const bare = line.replace(IGNORED, (c) => (/\s|\u0085/.test(c) ? c : ''));
  const v2 = bare.replace(DOTNET_SPACE, '');
  if (v2.startsWith('::')) {
    const end = v2.indexOf('::', 2);
    if (end >= 0) {
      const name = v2.slice(2, end).split(' ')[0]!;
      if (name) return { syntax: 'v2', name, data: v2.slice(end + 2), line };
    }
  }
  const at = bare.indexOf('##[');
  if (at >= 0) {
    const rb = bare.indexOf(']', at);
    if (rb >= 0) {
      const name = bare.slice(at + 3, rb).split(' ')[0]!;
      if (name) return { syntax: 'v1', name, data: bare.slice(rb + 1), line };
    }
  }
  return undefined;
}

/** Every command the runner would see in this stdout. */
export function runnerCommands(stdout: string): RunnerCommand[] {
  return runnerLines(stdout)
    .map(runnerCommand)
    .filter((c): c is RunnerCommand => c !== undefined);
}
