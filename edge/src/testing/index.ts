/**
 * Test kit for the edge (its own tests, the agent's edge-client tests, the bench and e2e): real
 * app and store, fake devices that write real signed journals, a real SMTP sink.
 */
export { createFakeDevice, type FakeDevice } from './fake-device.ts';
export { loadRealSession, REAL_SESSION_DIR, type RealSession } from './real-session.ts';
export { writeSampleSession } from './sample-session.ts';
export { type ServedApp, serveForTest } from './serve.ts';
export { type SmtpSink, startSmtpSink } from './smtp-sink.ts';
export {
  type AdminSessionForTest,
  agentGet,
  createOrgWithAdmin,
  createTestEdge,
  type EnrollResult,
  enrollDevice,
  ingest,
  json,
  lastCode,
  signInAdmin,
  type TestEdge,
} from './test-edge.ts';
