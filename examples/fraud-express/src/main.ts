import { createFraudServer, DEMO_KEYS } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const { server } = await createFraudServer();
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`fraud API on http://127.0.0.1:${port}\n`);
  process.stdout.write(
    `try: curl -s -XPOST localhost:${port}/v1/score -H 'x-api-key: ${DEMO_KEYS.checkout}' -H 'content-type: application/json' -d '{"transaction":[950,3,0.8,400,4,0,1,20]}'\n`,
  );
});
