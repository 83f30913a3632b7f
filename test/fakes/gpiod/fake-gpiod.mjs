// Fake gpiod command-line tools (gpiodetect, gpioget, gpioset, gpioinfo) at the tools' own interface: the argument
// syntax, output format and exit behaviour of libgpiod 1.6 (Bookworm) or 2.x (Trixie), chosen by
// FAKE_GPIOD_VERSION. Line state lives in FAKE_GPIOD_STATE (a JSON file): levels, holders, and a log of
// every level change, so a test can see what the pins did. gpioset holds its line until SIGTERM/SIGINT,
// like the real one; a second request of a held line fails with "Device or resource busy".
// FAKE_GPIOD_START_DELAY_MS makes gpioset take that long before it requests its line (a loaded machine).
// libgpiod 2's gpioset has its interactive mode (-i: set/get/exit on stdin, a "gpioset> " prompt when
// stdout is no terminal) unless FAKE_GPIOD_INTERACTIVE=0 (a build without editline). Every start of a
// tool is a line in FAKE_GPIOD_STATE.starts (processes per relay switch, per sample).
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [tool, ...args] = process.argv.slice(2);
const version = process.env.FAKE_GPIOD_VERSION ?? '2.1.3';
const major = Number(version.split('.')[0]);
const interactive = major === 2 && process.env.FAKE_GPIOD_INTERACTIVE !== '0';
const stateFile = process.env.FAKE_GPIOD_STATE;
const chips = [{ name: 'gpiochip0', label: process.env.FAKE_GPIOD_LABEL ?? 'pinctrl-bcm2711', lines: 58 }];

const load = () =>
  existsSync(stateFile)
    ? { consumers: {}, ...JSON.parse(readFileSync(stateFile, 'utf8')) }
    : { levels: {}, holders: {}, consumers: {}, log: [] };
const save = (s) => writeFileSync(stateFile, JSON.stringify(s));
/** The live process holding a line: the kernel frees a line when its holder dies, even by SIGKILL. */
const heldBy = (s, o) => {
  const pid = s.holders[o];
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
};
const die = (msg) => {
  process.stderr.write(`${tool}: ${msg}\n`);
  process.exit(1);
};

if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`${tool} (libgpiod) v${version}\nCopyright (C) 2017-2023 Bartosz Golaszewski\n`);
  process.exit(0);
}
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    `Usage: ${tool} [OPTIONS] <line=value>...\n\nOptions:\n      --banner\t\tdisplay a banner\n`,
  );
  if (tool === 'gpioset' && interactive)
    process.stdout.write('  -i, --interactive\tset the lines then wait for additional set commands\n');
  process.exit(0);
}
// One line per start, appended (atomic), not in the state file: concurrent tools would lose updates.
if (stateFile) appendFileSync(`${stateFile}.starts`, `${tool}\n`);

function parse(spec) {
  // Options with a value, per version; everything else that starts with - is a flag.
  const withValue =
    major === 1
      ? ['-B', '--bias', '-m', '-s', '-u', '-D']
      : ['-b', '--bias', '-c', '--chip', '-C', '--consumer', '-p', '-t', '-d'];
  const opts = {};
  const rest = [];
  for (let i = 0; i < spec.length; i++) {
    const a = spec[i];
    if (a.startsWith('--') && a.includes('=')) opts[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
    else if (withValue.includes(a)) opts[a] = spec[++i];
    else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      if (major === 1 && ['-c', '-C', '--banner'].includes(a))
        die(`invalid option -- '${a.replace(/^-+/, '')}'`);
      if (['-i', '--interactive'].includes(a) && !(tool === 'gpioset' && interactive))
        die(`invalid option -- '${a.replace(/^-+/, '')}'`);
      opts[a] = true;
    } else rest.push(a);
  }
  return { opts, rest };
}

function chipOf(name) {
  const chip = chips.find((c) => c.name === name || c.label === name || `/dev/${c.name}` === name);
  if (!chip)
    die(
      major === 1
        ? `unable to open ${name}: No such file or directory`
        : `cannot find GPIO chip character device '${name}'`,
    );
  return chip;
}

switch (tool) {
  case 'gpiodetect':
    for (const c of chips) process.stdout.write(`${c.name} [${c.label}] (${c.lines} lines)\n`);
    break;
  case 'gpioget': {
    const { opts, rest } = parse(args);
    const chip = chipOf(
      major === 1 ? rest.shift() : (opts['-c'] ?? opts['--chip'] ?? die('v2 needs -c to use offsets')),
    );
    const bias = opts['-B'] ?? opts['-b'] ?? opts['--bias'];
    if (
      bias &&
      !(
        major === 1
          ? ['as-is', 'disable', 'pull-down', 'pull-up']
          : ['as-is', 'disabled', 'pull-down', 'pull-up']
      ).includes(bias)
    )
      die(`invalid bias: ${bias}`);
    const s = load();
    const values = rest.map((o) => {
      if (Number(o) >= chip.lines) die(`offset ${o} out of range`);
      if (heldBy(s, o))
        die(
          major === 1
            ? 'error reading GPIO values: Device or resource busy'
            : 'unable to request lines: Device or resource busy',
        );
      return s.levels[o] ? 1 : 0;
    });
    process.stdout.write(
      major === 1
        ? values.join(' ') + '\n'
        : rest.map((o, i) => `"${o}"=${values[i] ? 'active' : 'inactive'}`).join(' ') + '\n',
    );
    break;
  }
  case 'gpioinfo': {
    const { rest } = parse(args);
    const s = load();
    for (const chip of rest.length ? rest.map(chipOf) : chips) {
      process.stdout.write(`${chip.name} - ${chip.lines} lines:\n`);
      for (let o = 0; o < chip.lines; o++) {
        const used = heldBy(s, o) !== undefined;
        const consumer = s.consumers[o] ?? 'gpioset';
        const dir = used ? 'output' : 'input';
        process.stdout.write(
          major === 1
            ? `\tline ${String(o).padStart(3)}: ${`"GPIO${o}"`.padStart(12)} ${(used ? `"${consumer}"` : 'unused').padStart(12)} ${dir.padStart(7)} active-high${used ? ' [used]' : ''}\n`
            : `\tline ${String(o).padStart(3)}:\t"GPIO${o}"\t${dir}${used ? ` consumer="${consumer}"` : ''}\n`,
        );
      }
    }
    break;
  }
  case 'gpioset': {
    const delayMs = Number(process.env.FAKE_GPIOD_START_DELAY_MS ?? 0);
    if (delayMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
    const { opts, rest } = parse(args);
    if (major === 1 && opts['--mode'] !== 'signal') die('this fake only supports --mode=signal for v1');
    const chip = chipOf(major === 1 ? rest.shift() : (opts['-c'] ?? die('v2 needs -c to use offsets')));
    const s = load();
    const lines = rest.map((a) => {
      const [o, v] = a.split('=');
      if (Number(o) >= chip.lines) die(`offset ${o} out of range`);
      if (heldBy(s, o))
        die(
          major === 1
            ? 'error setting the GPIO line values: Device or resource busy'
            : `unable to request lines on chip '/dev/${chip.name}': Device or resource busy`,
        );
      return [o, v === '1' || v === 'active' || v === 'on'];
    });
    const release = () => {
      const st = load();
      for (const [o] of lines)
        if (st.holders[o] === process.pid) {
          delete st.holders[o];
          delete st.consumers[o];
        }
      save(st);
      process.exit(0);
    };
    process.on('SIGTERM', release);
    process.on('SIGINT', release);
    for (const [o, high] of lines) {
      s.holders[o] = process.pid;
      s.consumers[o] = major === 1 ? 'gpioset' : (opts['-C'] ?? opts['--consumer'] ?? 'gpioset');
      if (s.levels[o] !== high) s.log.push(`${o}=${high ? 1 : 0}`);
      s.levels[o] = high;
    }
    save(s);
    if (opts['--banner'])
      process.stdout.write(lines.length > 1 ? `Setting lines...\n` : `Setting line '${lines[0][0]}'...\n`);
    // Released lines keep their level (Raspberry Pi kernels persist GPIO outputs); only the holder goes.
    if (opts['-i']) interact(lines, release);
    else setInterval(() => {}, 1 << 30);
    break;
  }
  default:
    die(`unknown tool ${tool}`);
}

/** gpioset -i: the commands on stdin, its prompt before each (stdout is no terminal here). */
function interact(lines, release) {
  const held = new Map(lines.map(([o, high]) => [String(o), high]));
  const prompt = () => process.stdout.write('gpioset> ');
  prompt();
  createInterface({ input: process.stdin }).on('line', (text) => {
    const [command, ...words] = text.trim().split(/\s+/);
    if (command === 'exit') return release();
    if (command === 'set') {
      const s = load();
      for (const w of words) {
        const [o, v] = w.split('=');
        if (!held.has(o)) {
          process.stdout.write(`unknown line: '${o}'\n`);
          continue;
        }
        const high = v === '1' || v === 'active' || v === 'on';
        held.set(o, high);
        if (s.levels[o] !== high) s.log.push(`${o}=${high ? 1 : 0}`);
        s.levels[o] = high;
      }
      save(s);
    } else if (command === 'get') {
      const ids = words.length ? words : [...held.keys()];
      process.stdout.write(ids.map((o) => `"${o}"=${held.get(o) ? 'active' : 'inactive'}`).join(' ') + '\n');
    } else if (command) process.stdout.write(`unknown command: '${command}'\n`);
    prompt();
  });
}
