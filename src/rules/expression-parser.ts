import { parseDuration } from './duration.js';
import { ruleError } from './rule-error.js';

/**
 * The condition language of a rule, parsed by hand (recursive descent, never `eval`):
 *
 *   condition  := or [ "for" duration ]
 *   or         := and { ("or" | "||") and }
 *   and        := not { ("and" | "&&") not }
 *   not        := ("not" | "!") not | compare
 *   compare    := unary [ ("==" | "!=" | "<" | "<=" | ">" | ">=") unary ]
 *   unary      := "-" unary | primary
 *   primary    := number | string | true | false | null | "(" or ")"
 *               | value | previous | endpoint | path | changed [ "(" number ")" ]
 *               | crosses(x [, h]) | crosses_up(x [, h]) | crosses_down(x [, h]) | latest("ep:/path")
 */
export type Scalar = number | string | boolean | null;
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type VarName = 'value' | 'previous' | 'endpoint' | 'path';
export type FnName = 'changed' | 'crosses' | 'crosses_up' | 'crosses_down' | 'latest';

export type Expr =
  | { k: 'lit'; v: Scalar }
  | { k: 'var'; name: VarName }
  | { k: 'neg'; e: Expr }
  | { k: 'not'; e: Expr }
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'cmp'; op: CompareOp; a: Expr; b: Expr }
  /** `site` numbers each stateful call, so two `crosses` in one rule keep separate state. */
  | { k: 'changed'; delta: number; site: number }
  | { k: 'crosses'; dir: 'both' | 'up' | 'down'; x: number; h: number; site: number }
  | { k: 'latest'; endpoint: string; path: string };

export interface Condition {
  expr: Expr;
  /** From a trailing "for 30s". */
  forMs?: number;
  /** Every `latest("ep:/path")` the condition reads, fetched before it is evaluated. */
  latest: { endpoint: string; path: string }[];
}

type Token = { t: 'num'; v: number; at: number } | { t: 'str'; v: string; at: number } | { t: 'id'; v: string; at: number } | { t: 'op'; v: string; at: number } | { t: 'end'; at: number };

const MAX_LENGTH = 2000;
const MAX_DEPTH = 32;
const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', ',', '-'];

function lex(src: string, field: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = i + 1;
    const num = /^(\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[1]), at });
      i += num[1]!.length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], at });
      i += id[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw ruleError(field, `unterminated string at column ${at}`);
      out.push({ t: 'str', v: src.slice(i + 1, end), at });
      i = end + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op === undefined) throw ruleError(field, `unexpected "${c}" at column ${at}`);
    out.push({ t: 'op', v: op, at });
    i += op.length;
  }
  out.push({ t: 'end', at: src.length + 1 });
  return out;
}

class Parser {
  readonly #toks: Token[];
  readonly #field: string;
  #i = 0;
  #depth = 0;
  #sites = 0;
  readonly latest: { endpoint: string; path: string }[] = [];

  constructor(toks: Token[], field: string) {
    this.#toks = toks;
    this.#field = field;
  }

  get peek(): Token {
    return this.#toks[this.#i]!;
  }

  next(): Token {
    return this.#toks[this.#i++]!;
  }

  fail(msg: string, tok: Token = this.peek): never {
    throw ruleError(this.#field, `${msg} at column ${tok.at}`);
  }

  atEnd(): boolean {
    return this.peek.t === 'end';
  }

  isOp(v: string): boolean {
    return this.peek.t === 'op' && this.peek.v === v;
  }

  isWord(v: string): boolean {
    return this.peek.t === 'id' && this.peek.v === v;
  }

  expectOp(v: string): void {
    if (!this.isOp(v)) this.fail(`expected "${v}" but found ${describe(this.peek)}`);
    this.next();
  }

  or(): Expr {
    if (++this.#depth > MAX_DEPTH) this.fail('expression nested too deeply');
    let a = this.and();
    while (this.isOp('||') || this.isWord('or')) {
      this.next();
      a = { k: 'or', a, b: this.and() };
    }
    this.#depth--;
    return a;
  }

  and(): Expr {
    let a = this.not();
    while (this.isOp('&&') || this.isWord('and')) {
      this.next();
      a = { k: 'and', a, b: this.not() };
    }
    return a;
  }

  not(): Expr {
    if (this.isOp('!') || this.isWord('not')) {
      this.next();
      return { k: 'not', e: this.not() };
    }
    return this.compare();
  }

  compare(): Expr {
    const a = this.unary();
    const t = this.peek;
    if (t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.next();
      return { k: 'cmp', op: t.v as CompareOp, a, b: this.unary() };
    }
    return a;
  }

  unary(): Expr {
    if (this.isOp('-')) {
      this.next();
      return { k: 'neg', e: this.unary() };
    }
    return this.primary();
  }

  primary(): Expr {
    const t = this.next();
    if (t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 'str') return { k: 'lit', v: t.v };
    if (t.t === 'op' && t.v === '(') {
      const e = this.or();
      this.expectOp(')');
      return e;
    }
    if (t.t !== 'id') return this.fail(`expected a value but found ${describe(t)}`, t);
    switch (t.v) {
      case 'true':
      case 'false':
        return { k: 'lit', v: t.v === 'true' };
      case 'null':
        return { k: 'lit', v: null };
      case 'value':
      case 'previous':
      case 'endpoint':
      case 'path':
        return { k: 'var', name: t.v };
      case 'changed': {
        const args = this.isOp('(') ? this.numberArgs(t.v, 0, 1) : [];
        return { k: 'changed', delta: Math.abs(args[0] ?? 0), site: this.#sites++ };
      }
      case 'crosses':
      case 'crosses_up':
      case 'crosses_down': {
        if (!this.isOp('(')) this.fail(`${t.v} needs arguments: ${t.v}(threshold, hysteresis)`);
        const [x, h] = this.numberArgs(t.v, 1, 2);
        if (h !== undefined && h < 0) this.fail(`${t.v}: hysteresis must not be negative`, t);
        const dir = t.v === 'crosses' ? 'both' : t.v === 'crosses_up' ? 'up' : 'down';
        return { k: 'crosses', dir, x: x!, h: h ?? 0, site: this.#sites++ };
      }
      case 'latest':
        return this.latestCall(t);
      default:
        return this.fail(`unknown name "${t.v}" (known: value, previous, endpoint, path, changed, crosses, crosses_up, crosses_down, latest)`, t);
    }
  }

  numberArgs(fn: string, min: number, max: number): number[] {
    this.expectOp('(');
    const out: number[] = [];
    while (!this.isOp(')')) {
      if (out.length > 0) this.expectOp(',');
      let sign = 1;
      if (this.isOp('-')) {
        this.next();
        sign = -1;
      }
      const t = this.next();
      if (t.t !== 'num') this.fail(`${fn} takes numbers, found ${describe(t)}`, t);
      out.push(sign * (t as { v: number }).v);
    }
    this.next();
    if (out.length < min || out.length > max) this.fail(`${fn} takes ${min === max ? min : `${min} to ${max}`} numbers, got ${out.length}`);
    return out;
  }

  latestCall(t: Token): Expr {
    this.expectOp('(');
    const arg = this.next();
    if (arg.t !== 'str') this.fail('latest takes one string "endpoint:/path"', arg);
    this.expectOp(')');
    const text = (arg as { v: string }).v;
    const m = /^([^:*]+):(\/\d+\/\d+\/\d+(\/\d+)?)$/.exec(text);
    if (!m) this.fail(`latest("${text}"): give "endpoint:/object/instance/resource"`, t);
    const ref = { endpoint: m![1]!, path: m![2]! };
    this.latest.push(ref);
    return { k: 'latest', ...ref };
  }
}

function describe(t: Token): string {
  return t.t === 'end' ? 'the end' : `"${String(t.v)}"`;
}

/** Parses a condition; errors name the field and the column. */
export function parseCondition(src: string, field = 'if'): Condition {
  if (src.length > MAX_LENGTH) throw ruleError(field, `longer than ${MAX_LENGTH} characters`);
  if (/(^|[^=!<>])=([^=]|$)/.test(src.replace(/(["']).*?\1/g, '""'))) throw ruleError(field, 'use "==" to compare ("=" alone is not an operator)');
  const p = new Parser(lex(src, field), field);
  if (p.atEnd()) throw ruleError(field, 'empty condition');
  const expr = p.or();
  const cond: Condition = { expr, latest: p.latest };
  if (p.isWord('for')) {
    p.next();
    const n = p.next();
    if (n.t !== 'num') p.fail('"for" needs a duration such as 30s', n);
    let text = String((n as { v: number }).v);
    if (p.peek.t === 'id') text += (p.next() as { v: string }).v;
    cond.forMs = parseDuration(text, field);
  }
  if (!p.atEnd()) p.fail(`unexpected ${describe(p.peek)}`);
  return cond;
}
