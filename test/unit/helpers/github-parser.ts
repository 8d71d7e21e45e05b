// GitHub's own parser of action.yml and workflow files (@actions/workflow-parser, the one behind the
// Actions language server): the errors it reports for a file, as plain messages.
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from '@actions/workflow-parser';
import {
  convertActionTemplate,
  parseAction,
  type ActionTemplate,
} from '@actions/workflow-parser/actions/index';

/** What GitHub's parser makes of an action.yml: its errors, and the converted metadata when there are none. */
export function checkAction(
  name: string,
  content: string,
): { errors: string[]; action: ActionTemplate | undefined } {
  const parsed = parseAction({ name, content }, new NoOperationTraceWriter());
  const messages = () => parsed.context.errors.getErrors().map((e) => e.message);
  if (messages().length > 0 || !parsed.value) return { errors: messages(), action: undefined };
  // Conversion adds its own errors to the same context (none expected once parsing passed).
  const action = convertActionTemplate(parsed.context, parsed.value);
  return { errors: messages(), action };
}

/** Errors of a workflow file: schema and expression errors (parse), then job-graph errors (convert). */
export async function checkWorkflow(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const parseErrors = parsed.context.errors.getErrors().map((e) => e.message);
  if (!parsed.value) return parseErrors.length ? parseErrors : [`${name}: nothing was parsed`];
  const template: WorkflowTemplate = await convertWorkflowTemplate(parsed.context, parsed.value);
  // convert reports the parse errors again, with its own; each message once.
  return [...new Set([...parseErrors, ...(template.errors ?? []).map((e) => e.Message)])];
}
