#!/usr/bin/env node
// The `bulwark` command. An installed package runs its built JavaScript with plain Node. Inside
// the repository's workspace (where packages export their TypeScript sources and tsconfig.json sits
// next to this folder) it runs the sources through tsx, registered in this process, so signals
// reach the server directly.
import { existsSync } from 'node:fs';

const workspace = existsSync(new URL('../tsconfig.json', import.meta.url)) && existsSync(new URL('../src/main.ts', import.meta.url));
if (workspace) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
} else {
  await import(new URL('../dist/main.js', import.meta.url).href);
}
