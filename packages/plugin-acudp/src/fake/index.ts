export { FakeAcServer, type FakeAcServerEvents, type FakeAcServerOptions, type FakeServerStats, type FakeSession } from './fake-server.js';
