import test from 'ava';
import { evaluate, truthy, type ConditionState, type EvalInput } from '../../src/rules/expression-eval.js';
import { parseCondition, type Scalar } from '../../src/rules/expression-parser.js';

function bands(): ConditionState {
  const m = new Map<number, 'high' | 'low'>();
  return { band: (s) => m.get(s), setBand: (s, b) => void m.set(s, b) };
}

function run(src: string, value: Scalar, o: Partial<EvalInput> = {}): boolean {
  return truthy(evaluate(parseCondition(src).expr, { value, previous: undefined, endpoint: 'ep-1', path: '/3303/0/5700', latest: new Map(), state: bands(), ...o }));
}

test('comparisons on the value', (t) => {
  t.true(run('value == true', true));
  t.false(run('value == true', false));
  t.true(run('value != 3', 4));
  t.true(run('value < 10.5', 10));
  t.false(run('value > 10', 10));
  t.true(run('value >= 10', 10));
  t.true(run('value <= -2', -3));
  t.true(run("value == 'on'", 'on'));
  t.true(run('value == "on"', 'on'));
});

test('a boolean compares equal to 1 and 0 (text/plain booleans)', (t) => {
  t.true(run('value == 1', true));
  t.true(run('value == 0', false));
});

test('ordering a number against a string is false, not an error', (t) => {
  t.false(run('value > 3', 'seven'));
  t.false(run('value < 3', null));
});

test('and, or, not with the usual precedence and parentheses', (t) => {
  t.true(run('value > 1 and value < 5 or value == 100', 100));
  t.false(run('value > 1 and (value < 5 or value == 100)', 50));
  t.true(run('not value > 5', 3));
  t.true(run('!(value > 5) && value > 1', 3));
  t.true(run('value < 0 || value > 10', 11));
});

test('endpoint and path are available to conditions', (t) => {
  t.true(run('endpoint == "ep-1" and path == "/3303/0/5700"', 0));
});

test('changed compares with the previous value, with an optional dead band', (t) => {
  t.true(run('changed', 5), 'the first value counts as a change');
  t.false(run('changed', 5, { previous: 5 }));
  t.true(run('changed', 6, { previous: 5 }));
  t.false(run('changed(0.5)', 5.3, { previous: 5 }));
  t.true(run('changed(0.5)', 5.6, { previous: 5 }));
  t.true(run('previous == false and value == true', true, { previous: false }));
});

test('crosses fires once per band change, with hysteresis', (t) => {
  const expr = parseCondition('crosses(25, 1)').expr;
  const state = bands();
  const seq = [20, 25.5, 26, 27, 25, 24.5, 23.9, 26, 26.5];
  const fired = seq.map((value) => truthy(evaluate(expr, { value, previous: undefined, endpoint: 'e', path: 'p', latest: new Map(), state })));
  // 20 sets "low"; 25.5 is inside the band [24, 26); 26 is high (fires); 25 and 24.5 stay high;
  // 23.9 is low (fires); 26 high (fires).
  t.deepEqual(fired, [false, false, true, false, false, false, true, true, false]);
});

test('crosses_up and crosses_down fire in one direction only', (t) => {
  const up = parseCondition('crosses_up(10)').expr;
  const down = parseCondition('crosses_down(10)').expr;
  const su = bands();
  const sd = bands();
  const f = (e: typeof up, s: ConditionState, value: number) => truthy(evaluate(e, { value, previous: undefined, endpoint: 'e', path: 'p', latest: new Map(), state: s }));
  t.deepEqual([5, 12, 5, 12].map((v) => f(up, su, v)), [false, true, false, true]);
  t.deepEqual([5, 12, 5, 12].map((v) => f(down, sd, v)), [false, false, true, false]);
});

test('two crosses calls in one condition keep separate state', (t) => {
  const c = parseCondition('crosses(10) or crosses(20)');
  const state = bands();
  const f = (value: number) => truthy(evaluate(c.expr, { value, previous: undefined, endpoint: 'e', path: 'p', latest: new Map(), state }));
  t.deepEqual([5, 15, 25, 15].map(f), [false, true, true, true]);
});

test('latest("ep:/path") reads a prefetched stored value', (t) => {
  const c = parseCondition('value == true and latest("lux-1:/3301/0/5700") < 50');
  t.deepEqual(c.latest, [{ endpoint: 'lux-1', path: '/3301/0/5700' }]);
  t.true(truthy(evaluate(c.expr, { value: true, previous: undefined, endpoint: 'e', path: 'p', latest: new Map([['lux-1:/3301/0/5700', 20]]), state: bands() })));
  t.false(truthy(evaluate(c.expr, { value: true, previous: undefined, endpoint: 'e', path: 'p', latest: new Map([['lux-1:/3301/0/5700', 80]]), state: bands() })));
  t.false(truthy(evaluate(c.expr, { value: true, previous: undefined, endpoint: 'e', path: 'p', latest: new Map(), state: bands() })), 'nothing stored is null');
});

test('a trailing "for 30s" is a debounce', (t) => {
  t.is(parseCondition('value == true for 30s').forMs, 30_000);
  t.is(parseCondition('value > 3 for 2 m').forMs, 120_000);
  t.is(parseCondition('value > 3').forMs, undefined);
});

test('syntax errors name the field and the column', (t) => {
  const cases: [string, RegExp][] = [
    ['value = true', /if: use "==" to compare/],
    ['value ==', /if: expected a value but found the end at column 9/],
    ['value == tru', /if: unknown name "tru"/],
    ['(value > 1', /expected "\)"/],
    ['value > 1 value', /unexpected "value"/],
    ['crosses(abc)', /crosses takes numbers/],
    ['crosses', /crosses needs arguments/],
    ['crosses(1, -2)', /hysteresis must not be negative/],
    ['latest("x")', /latest\("x"\): give "endpoint:\/object\/instance\/resource"/],
    ['value == "open', /unterminated string/],
    ['value # 3', /unexpected "#" at column 7/],
    ['', /empty condition/],
    ['value == true for 30 parsecs', /is not a duration/],
  ];
  for (const [src, re] of cases) t.throws(() => parseCondition(src), { message: re, code: 'LWM2M_ERR_BAD_API_REQUEST' }, src);
});

test('deeply nested input is refused, not a stack overflow', (t) => {
  t.throws(() => parseCondition(`${'('.repeat(500)}value${')'.repeat(500)}`), { message: /nested too deeply|longer than/ });
  t.throws(() => parseCondition(`${'('.repeat(100)}value${')'.repeat(100)}`), { message: /nested too deeply/ });
});
