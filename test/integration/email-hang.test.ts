/**
 * Issue 9, item 12: an SES endpoint that accepts the connection and never answers
 * must not hang the request. The send gives up after a few seconds, the answer
 * says `email_sent: false` and why, and the invitation is kept.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { SEND_TIMEOUT_MS } from '../../shared/email/mailer';
import { testStack } from '../support/stack';

let server: Server;
const held: Socket[] = [];
let endpoint: string;

beforeAll(async () => {
  // Reads whatever is sent and never writes a byte back.
  server = createServer((socket) => {
    held.push(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

// Well under a hang, with room for a loaded machine.
const limitMs = SEND_TIMEOUT_MS + 8_000;

test('a hanging SES: /invitation/new answers within seconds with email_sent false, and the invitation is kept', async () => {
  const s = await testStack({ env: { ONRAMP_SES_ENDPOINT: endpoint } });
  const user = await s.call('POST', '/user/new', { body: { user_email: 'hang@example.com', user_role: 'internal_user' } });
  expect(user.status).toBe(200);

  const started = Date.now();
  const inv = await s.call('POST', '/invitation/new', { body: { user_id: user.body.user_id } });
  const took = Date.now() - started;

  expect(inv.status).toBe(200);
  expect(took).toBeLessThan(limitMs);
  expect(inv.body).toMatchObject({ email_sent: false, email_error: expect.stringMatching(/did not answer|hang@example\.com/) });
  expect(held.length).toBeGreaterThan(0);
  const info = await s.call('GET', `/invitation/info?invitation_id=${inv.body.id}`);
  expect(info.status).toBe(200);
  expect(info.body).toMatchObject({ id: inv.body.id, is_accepted: false });
}, 30_000);

test('a hanging SES: /user/new with send_invite_email still creates the user and the invitation', async () => {
  const s = await testStack({ env: { ONRAMP_SES_ENDPOINT: endpoint } });
  const started = Date.now();
  const created = await s.call('POST', '/user/new', { body: { user_email: 'hang2@example.com', user_role: 'internal_user', send_invite_email: true } });
  expect(Date.now() - started).toBeLessThan(limitMs);
  expect(created.status).toBe(200);
  expect(created.body.invitation).toMatchObject({ email_sent: false });
  expect((await s.call('GET', `/user/info?user_id=${created.body.user_id}`)).status).toBe(200);
  expect((await s.call('GET', `/invitation/info?invitation_id=${created.body.invitation.invitation.id}`)).status).toBe(200);
}, 30_000);
