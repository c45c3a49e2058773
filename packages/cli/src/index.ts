export { type AppOptions, expressApp, type Framework, honoApp } from './app.js';
export { decisionLogger } from './decision-log.js';
export { type OtelOptions, setupOtel } from './otel.js';
export { type RunningServer, type ServeOptions, startServer } from './serve.js';
