/**
 * Global test setup. Nothing to start yet for the foundation suites: every test starts its own
 * loopback servers. (Redis is started here once the budget stores land.)
 */
export default function setup(): void {}
