// Child process for the sysfs GPIO tests: runs the built drivers (real onoff inside) in a mount namespace
// where /sys/class/gpio is the test's fake tree, and answers one JSON command per stdin line.
import { createInterface } from 'node:readline';

const dist = new URL('../../dist/drivers/', import.meta.url);
const { selectGpioBackend } = await import(new URL('gpio/select.js', dist).href);
const { GpioOutput } = await import(new URL('gpio/output.js', dist).href);
const { GpioInput } = await import(new URL('gpio/input.js', dist).href);

let selection;
const devices = new Map();
const reply = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line);
  try {
    let result;
    switch (cmd.op) {
      case 'select':
        selection = await selectGpioBackend({ backend: cmd.backend ?? 'auto' });
        result = { kind: selection.backend.kind, reason: selection.reason };
        break;
      case 'output': {
        const out = new GpioOutput(selection.backend, cmd.pin, cmd.activeLow, cmd.name);
        await out.open();
        devices.set(cmd.name, out);
        result = out.description;
        break;
      }
      case 'input': {
        const input = new GpioInput(selection.backend, cmd.pin, {
          name: cmd.name,
          bias: 'pull-down',
          sleep: async () => {},
        });
        await input.open();
        devices.set(cmd.name, input);
        result = input.description;
        break;
      }
      case 'write':
        await devices.get(cmd.name).write(cmd.on);
        break;
      case 'read':
        result = await devices.get(cmd.name).read();
        break;
      case 'close':
        await devices.get(cmd.name).close();
        break;
      case 'exit':
        reply({ ok: true });
        process.exit(0);
    }
    reply({ ok: true, result });
  } catch (err) {
    reply({ ok: false, error: err.message });
  }
}
