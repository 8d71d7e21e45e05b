import { createRequire as __seiseiCreateRequire } from 'node:module'; const require = __seiseiCreateRequire(import.meta.url);
import {
  precheckDeploy,
  runDeploy
} from "./chunk-BDBYWLZF.js";
import "./chunk-NYQO6JRC.js";
import "./chunk-KDAJAZ2B.js";
import "./chunk-5XLKRPSF.js";
import "./chunk-FV3VPOMY.js";
import "./chunk-H3EMV4CZ.js";
import "./chunk-3TX4BVXH.js";
import "./chunk-YJNYZRAZ.js";
import "./chunk-B54QJ254.js";
export {
  precheckDeploy,
  runDeploy
};
