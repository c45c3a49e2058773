import { serve } from '@hono/node-server';
import { createDigitsApp } from './app.js';

const port = Number(process.env.PORT ?? 3001);
const { app } = await createDigitsApp();
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`digits API on http://127.0.0.1:${port}  (POST /v1/predict {"inputs": [64 pixels, 0-16]})\n`);
});
