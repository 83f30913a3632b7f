// The I2C boundary: the two plain transfers every chip here needs (the shape of i2c-bus's promisified
// bus), a pool that shares one open bus between the devices on it, and errno turned into words.

export interface I2cBus {
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }>;
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export type I2cBusOpener = (busNumber: number) => Promise<I2cBus>;

/** Opens each bus once, on first use, and closes it when its last device lets go. */
export class I2cBusPool {
  private readonly buses = new Map<number, { bus: Promise<I2cBus>; users: number }>();

  constructor(private readonly openBus: I2cBusOpener) {}

  async acquire(busNumber: number): Promise<I2cBus> {
    let entry = this.buses.get(busNumber);
    if (!entry) {
      entry = { bus: this.openBus(busNumber), users: 0 };
      this.buses.set(busNumber, entry);
    }
    entry.users++;
    try {
      return await entry.bus;
    } catch (err) {
      this.buses.delete(busNumber);
      throw new Error(`I2C bus ${busNumber}: ${i2cErrorText(err)}`, { cause: err });
    }
  }

  async release(busNumber: number): Promise<void> {
    const entry = this.buses.get(busNumber);
    if (!entry || --entry.users > 0) return;
    this.buses.delete(busNumber);
    await (await entry.bus).close();
  }
}

/** What an I2C failure means for an installer. */
export function i2cErrorText(err: unknown, address?: number): string {
  const code = (err as NodeJS.ErrnoException).code;
  const at = address !== undefined ? ` at 0x${address.toString(16).padStart(2, '0')}` : '';
  switch (code) {
    case 'ENOENT':
      return 'no such bus: enable I2C (dtparam=i2c_arm=on in config.txt, or raspi-config) and reboot';
    case 'EACCES':
    case 'EPERM':
      return 'no permission: run the daemon as a user in the i2c group (sudo adduser USER i2c)';
    case 'ENXIO':
    case 'EREMOTEIO':
    case 'EIO':
      return `no answer${at} (NAK): check power, SDA/SCL wiring and the address`;
    case 'ETIMEDOUT':
      return 'bus timeout: SDA or SCL held low (a stuck device, a missing pull-up)';
    default:
      return (err as Error).message;
  }
}
