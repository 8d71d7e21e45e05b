// Replaced at build time by the package version (see scripts/build.mjs).
declare const __TOOL_VERSION__: string | undefined;
export const TOOL_VERSION = typeof __TOOL_VERSION__ === 'string' ? __TOOL_VERSION__ : 'dev';
