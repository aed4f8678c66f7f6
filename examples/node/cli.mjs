// The command line of the Node examples, shared: node:util's parseArgs, a
// usage on --help or -h (exit code 0), and for an unknown option or a bad
// value one line naming it, what was expected and what was given (exit code
// 2, no stack trace). Checked before any pool starts.
//
//   const { values, badValue } = parseCommandLine({
//     usage: 'node examples/node/example.mjs [options]',
//     description: 'What the example does.',
//     options: { workers: { ...integer({ min: 1, max: MAX_POOL_WORKERS }), default: '4', help: 'worker threads' } },
//   });
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

/** Most workers a pool takes: `new Pool({ workers })` accepts 1 to 64. */
export const MAX_POOL_WORKERS = 64;

/** An option whose value is an integer from `min` to `max`. */
export function integer({ min, max = Infinity }) {
  return {
    expected: max === Infinity ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`,
    parse(text) {
      const value = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
      return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
    },
  };
}

/** An option whose value is one of `choices`. */
export function oneOf(choices) {
  return {
    expected: choices.length > 1 ? `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}` : choices[0],
    parse: (text) => (choices.includes(text) ? text : undefined),
  };
}

const show = (value) => `'${value}'`;

/**
 * Parses `process.argv`. `options` maps each name to `{ expected, parse }`
 * (`integer()`, `oneOf()`), `help`, and optionally `default` (a string, as
 * typed), `defaultText` (shown when there is no single default) and `arg`
 * (the value's name in the usage, 'N' if not given). `positionals` names the
 * required arguments, e.g. ['<input file>'] (none if not given). Returns the
 * parsed `values` and `positionals`, and `badValue(option, expected, got)`
 * and `fail(message)` for the checks that involve several options.
 */
export function parseCommandLine({ usage, description, options, positionals: positionalNames = [] }) {
  const script = basename(process.argv[1] ?? 'example');
  const fail = (message) => {
    console.error(`${script}: ${message} (see --help)`);
    process.exit(2);
  };
  const badValue = (option, expected, got) => fail(`${option} must be ${expected}; got ${show(got)}`);

  const optionList = Object.entries(options).map(([name, option]) => [`--${name} ${option.arg ?? 'N'}`, option]);
  const width = Math.max(10, ...optionList.map(([flag]) => flag.length)) + 2;
  const usageText = [
    ...[usage].flat().map((line, i) => `${i === 0 ? 'usage: ' : '       '}${line}`),
    '',
    description,
    '',
    'options:',
    ...optionList.map(([flag, option]) => {
      const fallback = option.defaultText ?? option.default;
      return `  ${flag.padEnd(width)}${option.help}: ${option.expected}${fallback === undefined ? '' : ` (default ${fallback})`}`;
    }),
    `  ${'-h, --help'.padEnd(width)}print this help and exit`,
  ].join('\n');

  // Not strict: the tokens are checked here, so that each problem gets one clear line (and `--burns -1`
  // reaches the range check instead of parseArgs' "ambiguous" error).
  const { tokens } = parseArgs({
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: { ...Object.fromEntries(Object.keys(options).map((name) => [name, { type: 'string' }])), help: { type: 'boolean', short: 'h' } },
  });
  if (tokens.some((token) => token.kind === 'option' && token.name === 'help')) {
    console.log(usageText);
    process.exit(0);
  }
  const texts = {};
  const positionals = [];
  const known = [...Object.keys(options).map((name) => `--${name}`), '--help'].join(', ');
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (!option) fail(`unknown option ${show(token.rawName)}; expected one of ${known}`);
    // A value that is another option (`--size --burns 2`) is a missing value; a negative number is a value.
    if (token.value === undefined || (!token.inlineValue && /^-[^\d]/.test(token.value))) {
      fail(`${token.rawName} needs a value (${option.expected}); got ${token.value === undefined ? 'none' : `the option ${show(token.value)}`}`);
    }
    texts[token.name] = token.value;
  }
  if (positionals.length < positionalNames.length) fail(`missing ${positionalNames.slice(positionals.length).join(' ')}; expected ${positionalNames.join(' ')} and options`);
  if (positionals.length > positionalNames.length) {
    const expected = positionalNames.length ? `only ${positionalNames.join(' ')} and options` : 'options only';
    fail(`unexpected argument ${show(positionals[positionalNames.length])}; expected ${expected}`);
  }

  const values = {};
  for (const [name, option] of Object.entries(options)) {
    const text = texts[name] ?? option.default;
    if (text === undefined) continue;
    values[name] = option.parse(text);
    if (values[name] === undefined) badValue(`--${name}`, option.expected, text);
  }
  return { values, positionals, badValue, fail, usage: usageText };
}
