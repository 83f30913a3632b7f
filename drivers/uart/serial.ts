// The serial boundary: open a port, write bytes, receive chunks. serialport-adapter.ts implements it.

export interface SerialLink {
  write(data: Buffer): Promise<void>;
  /** Chunks as they arrive; a chunk may hold part of a frame, several frames, or noise. */
  onData(listener: (chunk: Buffer) => void): void;
  close(): Promise<void>;
}

export type SerialOpener = (path: string, baudRate: number) => Promise<SerialLink>;

/** What a serial failure means for an installer. */
export function serialErrorText(err: unknown, path: string): string {
  const msg = (err as Error).message ?? String(err);
  if (/ENOENT|No such file/i.test(msg))
    return `${path} does not exist: enable the UART (enable_uart=1 in config.txt; Pi 5: dtparam=uart0=on) and reboot`;
  if (/EACCES|Permission denied/i.test(msg))
    return `no permission on ${path}: run the daemon as a user in the dialout group (sudo adduser USER dialout)`;
  if (/EBUSY|Resource busy|lock/i.test(msg))
    return `${path} is in use: disable the serial console (raspi-config: Interface Options > Serial Port, login shell: No)`;
  return `${path}: ${msg}`;
}
