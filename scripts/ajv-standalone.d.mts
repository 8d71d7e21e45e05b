import type { Plugin } from 'esbuild';
export declare const AJV_OPTIONS: { allErrors: boolean; strict: boolean };
export declare function validatorModule(): string;
export declare const ajvStandalone: Plugin;
