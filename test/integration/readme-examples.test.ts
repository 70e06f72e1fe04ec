/**
 * Every curl example of the README's API section, run in order with the real `curl`
 * against the app served on loopback (DynamoDB Local, local SES), as a newcomer would
 * paste them: each must answer as its comment says (a status it names, else 200), and
 * each `<placeholder>` must have been produced by an earlier example.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { freePort } from '../../local/ports';
import { MASTER_KEY, testStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

/** Async: the app answering curl runs in this process, so a blocking exec would deadlock. */
const run = promisify(execFile);

type Example = { command: string; comment: string; line: number };

/** The API section's ```sh blocks, split into commands the way a shell would (quotes, `\` continuations, comments). */
function readmeExamples(): Example[] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf('\n## API\n');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, end);
  const examples: Example[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const firstLine = readme.slice(0, start + block.index!).split('\n').length;
    examples.push(...splitCommands(block[1]!, firstLine + 1));
  }
  return examples;
}

function splitCommands(text: string, firstLine: number): Example[] {
  const out: Example[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let line = firstLine;
  let startLine = line;
  let last: Example | undefined;
  let commentOwner: Example | undefined;
  const finish = () => {
    if (current.trim()) {
      last = { command: current.trim(), comment: '', line: startLine };
      out.push(last);
      commentOwner = last;
    }
    current = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      if (ch === '\n') line++;
      current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
    } else if (ch === '\\' && text[i + 1] === '\n') {
      current += ' ';
      i++;
      line++;
    } else if (ch === '#' && (current === '' || /\s$/.test(current))) {
      const endOfLine = text.indexOf('\n', i);
      const comment = text.slice(i + 1, endOfLine < 0 ? undefined : endOfLine).trim();
      finish();
      // the first comment after a command (same line or the next) says what it answers
      if (commentOwner && !commentOwner.comment) commentOwner.comment = comment;
      i = (endOfLine < 0 ? text.length : endOfLine) - 1;
    } else if (ch === '\n') {
      const blank = !current.trim();
      finish();
      if (blank) commentOwner = undefined; // a blank line ends what a comment can describe
      line++;
      startLine = line;
    } else {
      if (!current) startLine = line;
      current += ch;
    }
  }
  finish();
  return out;
}

/** The status an example's comment announces (`# → 400 …`, `# 303 to …`), else 200. */
const expectedStatus = (comment: string) => Number(/^(?:→\s*)?(\d{3})\b/.exec(comment)?.[1] ?? 200);

let s: TestStack;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  s = await testStack({ env: { PROXY_BASE_URL: base } });
  const server = serve({ fetch: s.app.fetch, port, hostname: '127.0.0.1' });
  await once(server, 'listening');
  close = () => new Promise<void>((done) => server.close(() => done()));
});

afterAll(async () => {
  await close?.();
});

test('the README API section has the examples a newcomer follows', () => {
  const routes = readmeExamples().map((e) => /\$ONRAMP(\/[\w/]+)/.exec(e.command)?.[1]);
  for (const route of ['/team/new', '/team/permissions_update', '/user/new', '/invitation/new', '/onboarding/claim_token', '/login', '/v2/login', '/key/generate', '/key/update', '/key/regenerate', '/spend/authorize', '/team/delete']) {
    expect(routes).toContain(route);
  }
});

test('every README curl example runs in order, as written, and answers as its comment says', async () => {
  /** Placeholder → value, filled from earlier answers. */
  const values = new Map<string, string>();
  const env = { ...process.env, ONRAMP: base, MASTER: MASTER_KEY };
  const ran: string[] = [];

  for (const example of readmeExamples()) {
    const where = `README.md line ${example.line}: ${example.command.slice(0, 100)}`;
    if (example.command.startsWith('export ')) {
      // `export SESSION=<token from /v2/login>`: the value comes from the sign-in answer
      const name = /^export (\w+)=/.exec(example.command)![1]!;
      expect({ where, set: values.has(`$${name}`) }).toEqual({ where, set: true });
      continue;
    }
    expect({ where, curl: example.command.startsWith('curl ') }).toEqual({ where, curl: true });

    let command = example.command;
    for (const [placeholder, value] of values) command = command.split(placeholder).join(value);
    const unfilled = command.match(/<[a-z_][^<>]*>|sk-…/g);
    expect({ where, unfilled }).toEqual({ where, unfilled: null });

    const { stdout: output } = await run('bash', ['-c', `${command} --max-time 20 -w '\\n%{http_code}'`], { env: { ...env, SESSION: values.get('$SESSION') ?? '' } });
    const status = Number(output.slice(output.lastIndexOf('\n') + 1));
    const text = output.slice(0, output.lastIndexOf('\n'));
    const body = text.includes('\r\n\r\n') ? text.slice(text.indexOf('\r\n\r\n') + 4) : text; // -i prints the headers first
    let json: any;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    expect({ where, status, body: status === expectedStatus(example.comment) ? '' : body }).toEqual({ where, status: expectedStatus(example.comment), body: '' });
    ran.push(`${status} ${where}`);

    // What later examples refer to.
    const route = /\$ONRAMP(\/[\w/]+)/.exec(example.command)![1];
    if (status !== 200) continue;
    if (route === '/team/new') values.set('<team_id>', json.team_id);
    if (route === '/user/new') {
      values.set('<user_id>', json.user_id);
      values.set('<first invitation id>', json.invitation.invitation.id);
    }
    if (route === '/invitation/new') values.set('<id>', json.id);
    if (route === '/invitation/resend') values.set('<new id>', json.id);
    if (route === '/onboarding/get_token') values.set('<token>', json.token);
    if (route === '/v2/login') values.set('$SESSION', json.token);
    if (route === '/key/generate' || route === '/key/regenerate') values.set('sk-…', json.key);
  }
  expect(ran.length).toBeGreaterThanOrEqual(35); // the parse lost none (39 when written)
});
