import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  context,
  getOctokit
} from "./chunk-MSDNW4J4.js";
import "./chunk-GAY4MQBD.js";
import "./chunk-PAUBQTSJ.js";
export {
  context,
  getOctokit
};
