#!/usr/bin/env node
// The CLI runs from TypeScript sources, so a fresh clone needs no build step: the workspace's packages resolve
// through their "poekhali-source" export condition (added by the hook below; the forked worker gets
// --conditions=poekhali-source), and tsx's loader compiles the .ts files they lead to.
import { register as registerHooks } from "node:module";
import { register } from "tsx/esm/api";

registerHooks("./source-condition.js", import.meta.url);
register();
await import("../src/cli.ts");
