import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);

// src/neutralise.ts
var LINE_END = /\r\n|\r|\n/;
var IGNORABLE = "\\p{Cc}\\p{Cf}\\p{Default_Ignorable_Code_Point}";
var LEADING_COMMAND = new RegExp(`^[\\s${IGNORABLE}]*:[${IGNORABLE}]*:`, "u");
var OLD_COMMAND = new RegExp(`#([${IGNORABLE}]*)#([${IGNORABLE}]*)\\[`, "gu");
function neutraliseLine(line) {
  const broken = line.replace(OLD_COMMAND, "#$1#$2 [");
  return LEADING_COMMAND.test(broken) ? `| ${broken}` : broken;
}
function neutraliseLines(text) {
  return text.split(LINE_END).map(neutraliseLine);
}
function safeText(text) {
  return neutraliseLines(text).join("\n");
}

export {
  neutraliseLines,
  safeText
};
