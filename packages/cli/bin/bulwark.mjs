#!/usr/bin/env node
// Runs the built CLI when there is one (published package), else the TypeScript source via tsx
// (inside the workspace, where packages export their sources).
import { existsSync } from 'node:fs';

const built = new URL('../dist/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
