import test from 'ava';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Command } from 'commander';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isLwm2mError, Lwm2mError } from '../../src/errors.js';
import { errorBody } from '../../src/http/api.js';
import { registerRulesRoutes } from '../../src/http/routes/rules-routes.js';
import { cliValue, parseThen, registerRulesCommands } from '../../src/cli/commands/rules.js';
import { engineHarness } from './engine-harness.js';

/** The rules routes in a Fastify app with the API's error handling (src/http/api.ts). */
async function api() {
  const h = await engineHarness();
  h.register('presence-1', 'lamp-1');
  const app: FastifyInstance = Fastify();
  app.setErrorHandler((err: FastifyError | Lwm2mError, _req, reply) => {
    if (isLwm2mError(err)) return reply.code(err.httpStatus).send(errorBody(err));
    return reply.code(err.statusCode ?? 500).send(errorBody(new Lwm2mError('LWM2M_ERR_BAD_API_REQUEST', err.message)));
  });
  registerRulesRoutes(app, { rules: h.service });
  const call = async (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const res = await app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  return { h, app, call };
}

const rule = { when: 'presence-1:/3302/0/5500', if: 'value == true', then: [{ write: 'lamp-1:/3311/0/5850', value: true }] };

test('PUT creates (201) then replaces (200); GET lists and shows with counters', async (t) => {
  const { h, call } = await api();
  const created = await call('PUT', '/api/v1/rules/lights', rule);
  t.is(created.status, 201);
  t.like(created.body, { name: 'lights', enabled: true, dryRun: false, spec: rule, stats: { firings: 0 } });
  t.is((await call('PUT', '/api/v1/rules/lights', { ...rule, dryRun: true })).status, 200);
  const list = await call('GET', '/api/v1/rules');
  t.deepEqual((list.body.rules as { name: string; dryRun: boolean }[]).map((r) => [r.name, r.dryRun]), [['lights', true]]);
  t.like((await call('GET', '/api/v1/rules/lights')).body, { name: 'lights', dryRun: true });
  // Changes are audited by the rule service under the token that made them.
  t.deepEqual(h.audit.entries.map((e) => [e.action, e.target, e.by]), [['rule.add', 'lights', 'admin'], ['rule.replace', 'lights', 'admin']]);
});

test('POST with a name adds; validation errors are 400 with the field named', async (t) => {
  const { call } = await api();
  t.is((await call('POST', '/api/v1/rules', { name: 'lights', ...rule })).status, 201);
  const bad = await call('PUT', '/api/v1/rules/bad', { ...rule, if: 'value = true' });
  t.is(bad.status, 400);
  t.deepEqual(bad.body, { error: { code: 'LWM2M_ERR_BAD_API_REQUEST', message: 'if: use "==" to compare ("=" alone is not an operator)' } });
  const noName = await call('POST', '/api/v1/rules', rule);
  t.like(noName.body, { error: { message: 'name: give the rule a "name"' } });
  t.like((await call('PUT', '/api/v1/rules/x', { ...rule, enabled: 'yes' })).body, { error: { message: '"enabled" must be true or false' } });
  t.is((await call('GET', '/api/v1/rules/bad')).status, 404);
});

test('enable, disable, test (dry run) and DELETE', async (t) => {
  const { h, call } = await api();
  await call('PUT', '/api/v1/rules/lights', rule);
  t.like((await call('POST', '/api/v1/rules/lights/disable')).body, { enabled: false });
  t.like((await call('POST', '/api/v1/rules/lights/enable')).body, { enabled: true });
  const dry = await call('POST', '/api/v1/rules/lights/test', { value: true });
  t.is(dry.status, 200);
  t.like(dry.body, { rule: 'lights', matched: true, condition: true, actions: [{ target: 'lamp-1', status: 'dry-run' }] });
  t.is(h.sent.length, 0, 'a test sends nothing');
  t.like((await call('POST', '/api/v1/rules/lights/test', { value: 'maybe' })).body, { error: { code: 'LWM2M_ERR_BAD_API_REQUEST' } });
  t.like((await call('DELETE', '/api/v1/rules/lights')).body, { removed: { name: 'lights' } });
  t.like((await call('DELETE', '/api/v1/rules/lights')).body, { error: { code: 'LWM2M_ERR_NOT_FOUND', message: 'no rule "lights"' } });
  t.like((await call('GET', '/api/v1/rules/schema')).body, { title: 'lwm2m-server rule', required: ['when', 'then'] });
});

test('CLI short forms of --then and values', (t) => {
  t.deepEqual(parseThen('write tag:street=5:/3311/0/5850=true'), { write: 'tag:street=5:/3311/0/5850', value: true });
  t.deepEqual(parseThen('write lamp-*:/3311/0/5851={{value}}'), { write: 'lamp-*:/3311/0/5851', value: '{{value}}' });
  t.deepEqual(parseThen("execute siren-1:/3/0/4 0='on'"), { execute: 'siren-1:/3/0/4', args: "0='on'" });
  t.deepEqual(parseThen('webhook http://127.0.0.1:9/x'), { webhook: 'http://127.0.0.1:9/x' });
  t.deepEqual(parseThen('{"write":"a:/1/0/1","value":3}'), { write: 'a:/1/0/1', value: 3 });
  t.throws(() => parseThen('toggle lamp'), { message: /--then "toggle lamp": give JSON/ });
  t.is(cliValue('21.5'), 21.5);
  t.is(cliValue('on'), 'on');
});

test.serial('CLI: rules add (flags and file), list, show, disable, test, remove against the API', async (t) => {
  const { app } = await api();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  const dir = await mkdtemp(path.join(tmpdir(), 'lwm2m-rules-cli-'));
  t.teardown(async () => {
    delete process.env.LWM2M_TOKEN;
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, 'rule.json');
  await writeFile(file, JSON.stringify(rule));
  process.env.LWM2M_TOKEN = 'unused-by-this-app';
  const run = async (...args: string[]): Promise<string> => {
    const program = new Command('lwm2m').exitOverride();
    registerRulesCommands(program);
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'lwm2m', ...args, '--url', `http://127.0.0.1:${addr.port}`]);
    } finally {
      process.stdout.write = write;
    }
    return out;
  };
  t.is(await run('rules', 'add', 'from-file', '--file', file), 'rule from-file saved (enabled)\n');
  t.is(await run('rules', 'add', 'lights', '--when', 'presence-1:/3302/0/5500', '--if', 'value == true', '--then', 'write lamp-1:/3311/0/5850=true', '--dry-run'), 'rule lights saved (enabled, dry run)\n');
  const list = await run('rules', 'list');
  t.regex(list, /^NAME\s+ENABLED\s+DRY_RUN\s+WHEN/);
  t.regex(list, /lights\s+true\s+true\s+presence-1:\/3302\/0\/5500\s+value == true\s+1\s+0/);
  t.regex(await run('rules', 'show', 'lights'), /rule\s+\{"when":"presence-1:\/3302\/0\/5500"/);
  t.is(await run('rules', 'disable', 'lights'), 'rule lights disabled\n');
  t.regex(await run('rules', 'test', 'from-file', '--value', 'true'), /would fire\n.*\n.*lamp-1\s+\/3311\/0\/5850\s+dry-run/);
  t.is(await run('rules', 'remove', 'lights'), 'rule lights removed\n');
  await t.throwsAsync(run('rules', 'show', 'lights'), { message: 'no rule "lights" (LWM2M_ERR_NOT_FOUND)' });
  await t.throwsAsync(run('rules', 'add', 'x', '--when', 'a:/1/0/1'), { message: 'give --file rule.json, or --when and at least one --then' });
});
