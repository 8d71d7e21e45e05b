export function inputsTables(actionYml?: string): string;
