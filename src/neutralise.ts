// Text from the server (or any other untrusted source) printed to the job log must never become a
// workflow command. The runner reads the action's stdout line by line as .NET's
// StreamReader.ReadLine does (a line ends at CRLF, a lone CR or LF), and in each line it runs
//   - `::cmd ...::data` when the line starts with `::` after String.TrimStart() (char.IsWhiteSpace,
//     which includes U+0085), compared culture-sensitively (characters such as U+200B are ignored);
//   - `##[cmd ...]data` when `##[` occurs ANYWHERE in the line (also culture-sensitive).
// So every segment between CR/LF is neutralised on its own: a line that would start with `::` gets a
// visible `| ` prefix, and every `##[` (with ignorable characters in between or not) becomes `## [`.

/** Where the runner ends a line of the action's output. */
export const LINE_END = /\r\n|\r|\n/;

/** Characters a culture-sensitive .NET comparison may skip, and whitespace TrimStart removes. */
const IGNORABLE = '\\p{Cc}\\p{Cf}\\p{Default_Ignorable_Code_Point}';
const LEADING_COMMAND = new RegExp(`^[\\s${IGNORABLE}]*:[${IGNORABLE}]*:`, 'u');
const OLD_COMMAND = new RegExp(`#([${IGNORABLE}]*)#([${IGNORABLE}]*)\\[`, 'gu');

/** One line (no CR or LF in it) made inert: prefixed if it starts a `::` command, `##[` broken up. */
export function neutraliseLine(line: string): string {
  const broken = line.replace(OLD_COMMAND, '#$1#$2 [');
  return LEADING_COMMAND.test(broken) ? `| ${broken}` : broken;
}

/** Untrusted text as the lines the runner will see, each neutralised. */
export function neutraliseLines(text: string): string[] {
  return text.split(LINE_END).map(neutraliseLine);
}

/** Untrusted text made safe for core.info/core.warning: neutralised lines joined with LF. */
export function safeText(text: string): string {
  return neutraliseLines(text).join('\n');
}
