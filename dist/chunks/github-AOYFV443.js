import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  context,
  getOctokit
} from "./chunk-TITAZAFZ.js";
import "./chunk-WMSSSVJD.js";
import "./chunk-B54QJ254.js";
export {
  context,
  getOctokit
};
