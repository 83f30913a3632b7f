// The only file that loads serialport (a native addon), lazily, so the simulator and most tests never
// load it. 8N1, no flow control: what the UART rangers speak.

import type { SerialLink, SerialOpener } from './serial.js';
import { serialErrorText } from './serial.js';

export const openSerialPort: SerialOpener = async (path, baudRate) => {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(new Error(serialErrorText(err, path), { cause: err })) : resolve())),
  );
  // Errors after opening (unplugged USB adapter) surface as failed reads; never as an unhandled event.
  port.on('error', () => {});
  const link: SerialLink = {
    write: (data) =>
      new Promise((resolve, reject) => {
        port.write(data, (err) =>
          err ? reject(new Error(serialErrorText(err, path), { cause: err })) : resolve(),
        );
      }),
    onData: (listener) => {
      port.on('data', listener);
    },
    close: () =>
      new Promise((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
  return link;
};
