import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  FailpointParseError,
  type FailpointTerm,
  formatFailpointTerm,
  parseFailpointsEnv,
  parseFailpointTerm,
} from '../../src/failpoint/index.js';

function parseError(text: string): FailpointParseError {
  try {
    parseFailpointTerm(text);
  } catch (err) {
    assert.ok(err instanceof FailpointParseError, `expected a FailpointParseError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(text)} parsed`);
}

describe('failpoint grammar: [P%][N*]action[(arg)][->term...]', () => {
  test('the examples in the issue parse to the terms they say', () => {
    assert.deepEqual(parseFailpointTerm('50%return("stale")').terms, [
      { percent: 50, action: 'return', arg: 'stale' },
    ]);
    assert.deepEqual(parseFailpointTerm('3*sleep(100)->off').terms, [
      { count: 3, action: 'sleep', arg: 100 },
      { action: 'off' },
    ]);
    assert.deepEqual(parseFailpointTerm('2*throw->return(1)').terms, [
      { count: 2, action: 'throw' },
      { action: 'return', arg: 1 },
    ]);
    assert.deepEqual(parseFailpointTerm('1*pause').terms, [{ count: 1, action: 'pause' }]);
  });

  test('percent and count together, decimals, whitespace, panic as throw, print and exit', () => {
    assert.deepEqual(parseFailpointTerm(' 0.5 % 2 * panic("boom") -> print -> exit(137) ').terms, [
      { percent: 0.5, count: 2, action: 'throw', arg: 'boom' },
      { action: 'print' },
      { action: 'exit', arg: 137 },
    ]);
    assert.equal(parseFailpointTerm(' 1*pause ').text, '1*pause');
  });

  test('arguments: numbers, quoted strings with escapes, booleans, null, JSON-ish arrays and objects', () => {
    const arg = (text: string) => parseFailpointTerm(`return(${text})`).terms[0]!.arg;
    assert.equal(arg('-1.5e3'), -1500);
    assert.equal(arg('"a\\"b\\n\\u00e9"'), 'a"b\né');
    assert.equal(arg("'single \\' quoted'"), "single ' quoted");
    assert.equal(arg('true'), true);
    assert.equal(arg('false'), false);
    assert.equal(arg('null'), null);
    assert.deepEqual(arg('[1, "two", [true]]'), [1, 'two', [true]]);
    assert.deepEqual(arg('{code: 503, "retry-after": "1s", nested: {ok: false}}'), {
      code: 503,
      'retry-after': '1s',
      nested: { ok: false },
    });
    const proto = arg('{"__proto__": 1}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(proto), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 1);
    assert.equal(parseFailpointTerm('return').terms[0]!.arg, undefined);
    assert.equal(parseFailpointTerm('return()').terms[0]!.arg, undefined);
  });

  test('sleep takes milliseconds or a duration string, normalised to milliseconds', () => {
    assert.equal(parseFailpointTerm('sleep(250)').terms[0]!.arg, 250);
    assert.equal(parseFailpointTerm('sleep("250ms")').terms[0]!.arg, 250);
    assert.equal(parseFailpointTerm('sleep("2s")').terms[0]!.arg, 2000);
    assert.equal(parseFailpointTerm('sleep("1.5m")').terms[0]!.arg, 90_000);
  });

  test("delay (pingcap, fail(9)) takes a duration like sleep; yield and gofail's break take none", () => {
    assert.deepEqual(parseFailpointTerm('2*delay("250ms")->yield->10%break').terms, [
      { count: 2, action: 'delay', arg: 250 },
      { action: 'yield' },
      { percent: 10, action: 'break' },
    ]);
    assert.equal(parseFailpointTerm('delay(40)').terms[0]!.arg, 40);
    assert.match(parseError('delay').expected, /a duration for delay: delay\(100\)/);
    assert.match(parseError('delay("soon")').expected, /a duration for delay/);
    assert.equal(parseError('yield(1)').expected, 'no argument: yield takes none');
    assert.equal(parseError('break("x")').expected, 'no argument: break takes none');
    assert.match(parseError('x').expected, /sleep, delay, pause, yield, print, break, exit, off/);
    assert.equal(
      formatFailpointTerm(parseFailpointTerm('delay("2s")->yield->break').terms),
      'delay(2000)->yield->break',
    );
  });

  test('parse errors name the column and what was expected', () => {
    const cases: [string, number, RegExp][] = [
      ['50%x', 4, /an action \(return, throw/],
      ['2*throw->', 10, /an action/],
      ['', 1, /an action/],
      ['50', 3, /'%' or '\*' after the number/],
      ['101%off', 1, /a percentage from 0 to 100/],
      ['0*throw', 1, /a count/],
      ['1.5*throw', 1, /a count/],
      ['3*50%throw', 3, /a percentage goes before the count/],
      ['sleep', 6, /a duration for sleep/],
      ['sleep(-1)', 7, /a duration for sleep/],
      ['sleep("soon")', 7, /a duration for sleep/],
      ['pause(1)', 7, /no argument: pause takes none/],
      ['off(true)', 5, /no argument/],
      ['exit(256)', 6, /an exit code from 0 to 255/],
      ['exit(1.5)', 6, /an exit code/],
      ['throw(42)', 7, /a message string for throw/],
      ['return(', 8, /a value/],
      ['return(1', 9, /'\)' to close the argument/],
      ['return("abc', 12, /a closing " for the string opened at column 8/],
      ['return("a\\q")', 10, /an escape/],
      ['return("\\u12")', 11, /four hex digits/],
      ['return([1 2])', 11, /',' or '\]'/],
      ['return({a 1})', 11, /':' after the key/],
      ['return(nope)', 8, /a value/],
      ['return(1e999)', 8, /a finite number/],
      ['throw off', 7, /'->' or end of input/],
      ['throw->->off', 8, /an action/],
    ];
    for (const [text, column, expected] of cases) {
      const err = parseError(text);
      assert.equal(err.column, column, `${JSON.stringify(text)}: ${err.message}`);
      assert.match(err.expected, expected, `${JSON.stringify(text)}: ${err.message}`);
      assert.match(err.message, new RegExp(`at column ${column}: expected `));
      assert.equal(err.code, 'FAULTLINE_FAILPOINT_PARSE');
    }
  });

  test('nesting is bounded, so a hostile term cannot overflow the stack', () => {
    const err = parseError(`return(${'['.repeat(10_000)})`);
    assert.match(err.expected, /nested at most 32 deep/);
  });

  test('formatFailpointTerm writes the canonical form, which parses back to the same terms', () => {
    const spec = parseFailpointTerm(' 5 % 2*panic(\'x\')->sleep("1s")->return({a:[1]}) ');
    const text = formatFailpointTerm(spec.terms);
    assert.equal(text, '5%2*throw("x")->sleep(1000)->return({"a":[1]})');
    assert.deepEqual(parseFailpointTerm(text).terms, spec.terms);
  });
});

describe('FAULTLINE_FAILPOINTS list: name=term;name=term', () => {
  test('splits on semicolons outside quoted strings', () => {
    const list = parseFailpointsEnv(' a.b=50%throw; c=pause ;d = return("x;y");;');
    assert.deepEqual(
      list.map((e) => [e.name, e.spec.text]),
      [
        ['a.b', '50%throw'],
        ['c', 'pause'],
        ['d', 'return("x;y")'],
      ],
    );
    assert.deepEqual(list[2]!.spec.terms, [{ action: 'return', arg: 'x;y' }]);
    assert.deepEqual(parseFailpointsEnv('  '), []);
  });

  test('errors carry the column in the whole list', () => {
    const at = (text: string) => {
      try {
        parseFailpointsEnv(text);
      } catch (err) {
        assert.ok(err instanceof FailpointParseError);
        return [err.column, err.expected] as const;
      }
      assert.fail('parsed');
    };
    assert.deepEqual(at('a.b=50%throw;c pause'), [16, "'=' after the failpoint name"]);
    assert.equal(at('a=throw;b=50%x')[0], 14);
    assert.equal(at('=throw')[0], 1);
    assert.match(at('a=throw;a=off')[1], /appears twice/);
    assert.match(at('a=throw off')[1], /'->', ';' or end of input/);
  });
});

describe('grammar fuzz', () => {
  const tokens = fc.constantFrom(
    'return',
    'throw',
    'panic',
    'sleep',
    'delay',
    'pause',
    'yield',
    'print',
    'break',
    'exit',
    'off',
    'retur',
    '->',
    '-',
    '>',
    '%',
    '*',
    '(',
    ')',
    '"',
    "'",
    '\\',
    '\\u',
    '50',
    '3',
    '0.5',
    '.',
    '-1',
    '1e400',
    'true',
    'null',
    '[',
    ']',
    '{',
    '}',
    ',',
    ':',
    ' ',
    'x',
    'e',
    '"2s"',
    '__proto__',
  );
  const tokenSoup = fc.array(tokens, { maxLength: 16 }).map((a) => a.join(''));
  const value = fc.jsonValue({ maxDepth: 4 });
  const term: fc.Arbitrary<FailpointTerm> = fc
    .record(
      {
        percent: fc.double({ min: 0, max: 100, noNaN: true }),
        count: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        pick: fc.integer({ min: 0, max: 9 }),
        value,
        message: fc.string(),
        ms: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        code: fc.integer({ min: 0, max: 255 }),
      },
      { requiredKeys: ['pick', 'value', 'message', 'ms', 'code'] },
    )
    .map((r) => {
      const t: FailpointTerm = [
        { action: 'return', arg: r.value },
        { action: 'throw', arg: r.message },
        { action: 'sleep', arg: r.ms },
        { action: 'pause' },
        { action: 'print', arg: r.message },
        { action: 'exit', arg: r.code },
        { action: 'off' },
        { action: 'delay', arg: r.ms },
        { action: 'yield' },
        { action: 'break' },
      ][r.pick] as FailpointTerm;
      if (r.percent !== undefined) t.percent = r.percent;
      if (r.count !== undefined) t.count = r.count;
      return t;
    });
  const validText = fc.array(term, { minLength: 1, maxLength: 4 }).map(formatFailpointTerm);
  const mutation = fc.record({
    at: fc.nat(),
    del: fc.nat({ max: 3 }),
    insert: fc.oneof(tokens, fc.string({ maxLength: 3 })),
  });
  const mutated = fc
    .tuple(validText, fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([text, muts]) => {
      let s = text;
      for (const m of muts) {
        const at = s.length === 0 ? 0 : m.at % (s.length + 1);
        s = s.slice(0, at) + m.insert + s.slice(at + m.del);
      }
      return s;
    });
  const anyText = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    tokenSoup,
    mutated,
    validText,
  );

  test('10,000 random and mutated term strings: a term or a FailpointParseError, never anything else', () => {
    let parsed = 0;
    let rejected = 0;
    fc.assert(
      fc.property(anyText, (text) => {
        let spec: ReturnType<typeof parseFailpointTerm>;
        try {
          spec = parseFailpointTerm(text);
        } catch (err) {
          if (!(err instanceof FailpointParseError)) throw err;
          rejected++;
          if (!(Number.isInteger(err.column) && err.column >= 1 && err.column <= text.length + 1)) {
            throw new Error(`column ${err.column} outside 1..${text.length + 1}`);
          }
          if (err.expected === '') throw new Error('empty expected');
          return;
        }
        parsed++;
        if (spec.terms.length === 0) throw new Error('a valid term with no terms');
        // a term that parses formats to a canonical text that parses to the same thing
        const canonical = formatFailpointTerm(spec.terms);
        assert.equal(formatFailpointTerm(parseFailpointTerm(canonical).terms), canonical);
      }),
      { numRuns: 10_000 },
    );
    assert.ok(parsed > 500, `only ${parsed} of 10,000 parsed`);
    assert.ok(rejected > 500, `only ${rejected} of 10,000 were rejected`);
  });

  test('every generated term round-trips through format and parse', () => {
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 4 }), (terms) => {
        const back = parseFailpointTerm(formatFailpointTerm(terms)).terms;
        assert.deepEqual(back, terms);
      }),
      { numRuns: 2_000 },
    );
  });

  test('FAULTLINE_FAILPOINTS lists: parsed or a FailpointParseError', () => {
    const list = fc
      .array(fc.tuple(fc.oneof(fc.constantFrom('a', 'b.c', 'x/y'), fc.string({ maxLength: 5 })), anyText), {
        maxLength: 4,
      })
      .map((entries) => entries.map(([n, t]) => `${n}=${t}`).join(';'));
    fc.assert(
      fc.property(list, (text) => {
        try {
          parseFailpointsEnv(text);
        } catch (err) {
          if (!(err instanceof FailpointParseError)) throw err;
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
