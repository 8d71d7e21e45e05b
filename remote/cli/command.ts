// The shape of one operator CLI command (usage line, summary, entry point), shared by cli.ts and ops/.
export interface Command {
  usage: string;
  summary: string;
  main(argv: string[]): Promise<number>;
}
