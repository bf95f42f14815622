/**
 * The failpoint term grammar, as gofail / pingcap failpoint / FreeBSD fail(9) users know it, and a small
 * hand-written parser for it. Pure: no I/O, no clock, no randomness — the registry decides when terms fire.
 *
 * A term chain is evaluated left to right on every hit: the first term that is not used up and whose
 * percentage draw succeeds fires; a term with `N*` is used up after it has fired N times, and evaluation falls
 * through to the next term. If no term fires the hit does nothing.
 *
 *   chain    ::= term { "->" term }
 *   term     ::= [ percent "%" ] [ count "*" ] action [ "(" [ value ] ")" ]
 *   percent  ::= unsigned                          (0 <= P <= 100)
 *   count    ::= digit { digit }                   (1 <= N <= 2^53 - 1)
 *   action   ::= "return" | "throw" | "panic" | "sleep" | "delay" | "pause" | "yield" | "print" | "break"
 *              | "exit" | "off"
 *   value    ::= number | string | "true" | "false" | "null" | array | object
 *   array    ::= "[" [ value { "," value } ] "]"
 *   object   ::= "{" [ key ":" value { "," key ":" value } ] "}"
 *   key      ::= string | identifier
 *   number   ::= [ "-" ] unsigned
 *   unsigned ::= ( digits [ "." [ digits ] ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ]
 *   string   ::= '"' { char | escape } '"' | "'" { char | escape } "'"
 *   escape   ::= "\" ( '"' | "'" | "\" | "/" | "b" | "f" | "n" | "r" | "t" | "u" hex hex hex hex )
 *
 * Whitespace may appear between any two tokens. Arguments each action takes:
 *   return [(value)]        hands `value` to the caller (bare `return` hands back `true`)
 *   throw / panic [("msg")] raises a FailpointError
 *   sleep(ms | "250ms" | "2s" | "1m")
 *   delay(ms | "250ms" | ...) busy-waits: the whole thread stalls, as fail(9)'s delay spins instead of sleeping
 *   pause                   blocks the caller until released
 *   yield                   lets the event loop run everything ready before the caller goes on
 *   print [("msg")]         logs the hit
 *   break                   stops in the debugger when one is attached (a `debugger` statement)
 *   exit [(code)]           ends the process at once, code 0..255 (default 1)
 *   off                     does nothing
 *
 * The list form read from FAULTLINE_FAILPOINTS:
 *   list     ::= [ entry ] { ";" [ entry ] }
 *   entry    ::= name "=" chain
 *   name     ::= 1 to 256 of [A-Za-z0-9_.:/@$-]
 */
import { FailpointParseError } from './errors.js';

/** What a term does when it fires. `panic` is read as `throw`. */
export type FailpointAction =
  | 'return'
  | 'throw'
  | 'sleep'
  | 'delay'
  | 'pause'
  | 'yield'
  | 'print'
  | 'break'
  | 'exit'
  | 'off';

/** A value a term can carry: what JSON can say. */
export type FailpointValue =
  | null
  | boolean
  | number
  | string
  | FailpointValue[]
  | { [key: string]: FailpointValue };

/** One term of a chain, e.g. `50%3*return("stale")`. */
export interface FailpointTerm {
  /** Chance in percent (0..100) that the term fires on a hit; absent means always. */
  percent?: number;
  /** How many times the term fires before it is used up; absent means without limit. */
  count?: number;
  action: FailpointAction;
  /** The argument as written; absent when none was. For `sleep` and `delay` it is normalised to milliseconds. */
  arg?: FailpointValue;
}

/** A parsed chain: the source text and its terms, in order. */
export interface FailpointSpec {
  text: string;
  terms: FailpointTerm[];
}

/** One `name=chain` entry of a FAULTLINE_FAILPOINTS list. */
export interface FailpointAssignment {
  name: string;
  spec: FailpointSpec;
}

const ACTIONS: Readonly<Record<string, FailpointAction>> = {
  return: 'return',
  throw: 'throw',
  panic: 'throw',
  sleep: 'sleep',
  delay: 'delay',
  pause: 'pause',
  yield: 'yield',
  print: 'print',
  break: 'break',
  exit: 'exit',
  off: 'off',
};
const ACTION_LIST = 'an action (return, throw, panic, sleep, delay, pause, yield, print, break, exit, off)';
const VALUE_LIST = 'a value (number, "string", true, false, null, [...] or {...})';
const MAX_DEPTH = 32;
/** setTimeout's ceiling. */
const MAX_SLEEP_MS = 2 ** 31 - 1;

const NAME = /^[A-Za-z0-9_.:/@$-]{1,256}$/;
const UNSIGNED = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_$][A-Za-z0-9_$]*/y;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

/** True when `name` is a name failpoints can be set under: 1..256 of `A-Z a-z 0-9 _ . : / @ $ -`. */
export function isValidFailpointName(name: string): boolean {
  return NAME.test(name);
}

/** Parses a term chain such as `3*sleep(100)->off`; throws {@link FailpointParseError} naming the column. */
export function parseFailpointTerm(text: string): FailpointSpec {
  const p = new Parser(text, 'failpoint term');
  const terms = p.chain();
  p.ws();
  if (!p.atEnd()) p.fail("'->' or end of input");
  return { text: text.trim(), terms };
}

/**
 * Parses a FAULTLINE_FAILPOINTS list, `a.b=50%throw;c=pause`. Names must be valid and appear once. `what` names
 * the input in errors (default `FAULTLINE_FAILPOINTS`).
 */
export function parseFailpointsEnv(text: string, what = 'FAULTLINE_FAILPOINTS'): FailpointAssignment[] {
  const p = new Parser(text, what);
  const out: FailpointAssignment[] = [];
  const seen = new Set<string>();
  for (;;) {
    p.ws();
    if (p.atEnd()) break;
    if (p.peek() === ';') {
      p.pos++;
      continue;
    }
    const nameStart = p.pos;
    while (!p.atEnd() && !/[=;\s]/.test(p.peek())) p.pos++;
    const name = text.slice(nameStart, p.pos);
    if (!isValidFailpointName(name)) {
      p.fail('a failpoint name (1 to 256 of A-Z a-z 0-9 _ . : / @ $ -)', nameStart);
    }
    if (seen.has(name)) p.fail(`a failpoint not already in the list (${name} appears twice)`, nameStart);
    seen.add(name);
    p.ws();
    p.expect('=', "'=' after the failpoint name");
    p.ws();
    const termStart = p.pos;
    const terms = p.chain();
    out.push({ name, spec: { text: text.slice(termStart, p.pos).trim(), terms } });
    p.ws();
    if (!p.atEnd() && p.peek() !== ';') p.fail("'->', ';' or end of input");
  }
  return out;
}

/** The canonical text of a chain; `parseFailpointTerm(formatFailpointTerm(t))` gives back the same terms. */
export function formatFailpointTerm(terms: readonly FailpointTerm[]): string {
  return terms
    .map((t) => {
      let s = '';
      if (t.percent !== undefined) s += `${t.percent}%`;
      if (t.count !== undefined) s += `${t.count}*`;
      s += t.action;
      if (t.arg !== undefined) s += `(${formatValue(t.arg)})`;
      return s;
    })
    .join('->');
}

/** JSON, except that -0 stays -0 (the parser reads it back as -0). */
function formatValue(v: FailpointValue): string {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${formatValue(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

class Parser {
  readonly src: string;
  readonly what: string;
  pos = 0;

  constructor(src: string, what: string) {
    this.src = src;
    this.what = what;
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  peek(): string {
    return this.src.charAt(this.pos);
  }

  ws(): void {
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.pos++;
    }
  }

  fail(expected: string, at = this.pos): never {
    throw new FailpointParseError(this.src, at + 1, expected, describeAt(this.src, at), this.what);
  }

  expect(ch: string, expected: string): void {
    if (this.peek() !== ch) this.fail(expected);
    this.pos++;
  }

  match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (m === null) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  chain(): FailpointTerm[] {
    const terms = [this.term()];
    for (;;) {
      this.ws();
      if (!this.src.startsWith('->', this.pos)) return terms;
      this.pos += 2;
      terms.push(this.term());
    }
  }

  term(): FailpointTerm {
    this.ws();
    const term: Partial<FailpointTerm> = {};
    let at = this.pos;
    let num = this.match(UNSIGNED);
    if (num !== undefined) {
      this.ws();
      if (this.peek() === '%') {
        const percent = Number(num);
        if (!(percent >= 0 && percent <= 100)) this.fail('a percentage from 0 to 100', at);
        term.percent = percent;
        this.pos++;
        this.ws();
        at = this.pos;
        num = this.match(UNSIGNED);
        if (num !== undefined) {
          this.ws();
          if (this.peek() !== '*') this.fail("'*' after the count");
        }
      } else if (this.peek() !== '*') {
        this.fail("'%' or '*' after the number");
      }
      if (num !== undefined) {
        // here the number is a count: the next character is '*'
        const count = Number(num);
        if (!/^\d+$/.test(num) || !Number.isSafeInteger(count) || count < 1) {
          this.fail('a count: a whole number from 1 to 2^53-1', at);
        }
        term.count = count;
        this.pos++;
        this.ws();
      }
    }
    const actionAt = this.pos;
    if (
      term.count !== undefined &&
      term.percent === undefined &&
      /^[\d.]+\s*%/.test(this.src.slice(this.pos))
    ) {
      this.fail(`${ACTION_LIST}; a percentage goes before the count, as in 50%3*throw`);
    }
    const word = this.match(IDENT);
    const action = word === undefined ? undefined : Object.hasOwn(ACTIONS, word) ? ACTIONS[word] : undefined;
    if (action === undefined) this.fail(ACTION_LIST, actionAt);
    term.action = action;
    this.ws();
    if (this.peek() === '(') {
      this.pos++;
      this.ws();
      if (this.peek() !== ')') {
        const argAt = this.pos;
        const arg = this.value(0);
        term.arg = checkArg(this, action, arg, argAt);
        this.ws();
        this.expect(')', "')' to close the argument");
      } else {
        this.pos++;
        checkArg(this, action, undefined, this.pos - 1);
      }
    } else {
      checkArg(this, action, undefined, this.pos);
    }
    return term as FailpointTerm;
  }

  value(depth: number): FailpointValue {
    if (depth > MAX_DEPTH) this.fail(`a value nested at most ${MAX_DEPTH} deep`);
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if (c === '-' || c === '.' || (c >= '0' && c <= '9')) {
      const at = this.pos;
      const text = this.match(NUMBER);
      if (text === undefined) this.fail('a number');
      const n = Number(text);
      if (!Number.isFinite(n)) this.fail('a finite number', at);
      return n;
    }
    if (c === '[') {
      this.pos++;
      const items: FailpointValue[] = [];
      this.ws();
      if (this.peek() === ']') {
        this.pos++;
        return items;
      }
      for (;;) {
        this.ws();
        items.push(this.value(depth + 1));
        this.ws();
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        this.expect(']', "',' or ']'");
        return items;
      }
    }
    if (c === '{') {
      this.pos++;
      const obj: { [key: string]: FailpointValue } = {};
      this.ws();
      if (this.peek() === '}') {
        this.pos++;
        return obj;
      }
      for (;;) {
        this.ws();
        const q = this.peek();
        const key = q === '"' || q === "'" ? this.string() : this.match(IDENT);
        if (key === undefined) this.fail('a key (a string or a name)');
        this.ws();
        this.expect(':', "':' after the key");
        this.ws();
        // defineProperty: a key such as "__proto__" becomes an ordinary own property
        Object.defineProperty(obj, key, {
          value: this.value(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        this.ws();
        if (this.peek() === ',') {
          this.pos++;
          continue;
        }
        this.expect('}', "',' or '}'");
        return obj;
      }
    }
    const at = this.pos;
    const word = this.match(IDENT);
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    return this.fail(VALUE_LIST, at);
  }

  string(): string {
    const quote = this.peek();
    const open = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.atEnd()) this.fail(`a closing ${quote} for the string opened at column ${open + 1}`);
      const c = this.src.charAt(this.pos);
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c !== '\\') {
        out += c;
        this.pos++;
        continue;
      }
      const at = this.pos;
      const e = this.src.charAt(this.pos + 1);
      this.pos += 2;
      switch (e) {
        case '"':
        case "'":
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = this.src.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('four hex digits after \\u', this.pos);
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.fail('an escape (\\" \\\' \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', at);
      }
    }
  }
}

/** Checks (and for `sleep` and `delay`, normalises) the argument an action was given. */
function checkArg(
  p: Parser,
  action: FailpointAction,
  arg: FailpointValue | undefined,
  at: number,
): FailpointValue | undefined {
  switch (action) {
    case 'return':
      return arg;
    case 'throw':
    case 'print':
      if (arg !== undefined && typeof arg !== 'string') p.fail(`a message string for ${action}`, at);
      return arg;
    case 'sleep':
    case 'delay': {
      if (arg === undefined) {
        p.fail(`a duration for ${action}: ${action}(100), ${action}("250ms"), ${action}("2s")`, at);
      }
      const ms = toMillis(arg);
      if (ms === undefined || ms > MAX_SLEEP_MS) {
        p.fail(
          `a duration for ${action}: milliseconds from 0 to ${MAX_SLEEP_MS}, or "250ms", "2s", "1m"`,
          at,
        );
      }
      return ms;
    }
    case 'exit':
      if (
        arg !== undefined &&
        !(typeof arg === 'number' && Number.isInteger(arg) && arg >= 0 && arg <= 255)
      ) {
        p.fail('an exit code from 0 to 255', at);
      }
      return arg;
    case 'pause':
    case 'yield':
    case 'break':
    case 'off':
      if (arg !== undefined) p.fail(`no argument: ${action} takes none`, at);
      return undefined;
  }
}

function toMillis(arg: FailpointValue): number | undefined {
  if (typeof arg === 'number') return arg >= 0 ? arg : undefined;
  if (typeof arg !== 'string') return undefined;
  const m = DURATION.exec(arg.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function describeAt(src: string, at: number): string {
  if (at >= src.length) return 'end of input';
  const word = /^[A-Za-z0-9_$.]+/.exec(src.slice(at, at + 24));
  return JSON.stringify(word === null ? src.charAt(at) : word[0]);
}
