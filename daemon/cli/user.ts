// `smart-tank user add|passwd|del|list`: the users of the MQTT plane. No default or shared passwords:
// every user is created here, with a password typed (not echoed) or read from stdin, or generated for
// the gateway's own user.

import { randomBytes } from 'node:crypto';
import { loadConfigFile } from '../config/load.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import { ROLES, type Role } from '../security/roles.js';
import {
  addUser,
  deleteUser,
  loadUserFiles,
  saveUserFiles,
  setPassword,
  UserAdminError,
} from '../security/user-admin.js';
import { DEFAULT_CONFIG_FILE, type CliIo } from './io.js';
import { parseCommand, UsageError } from './args.js';

export const USER_USAGE = `usage: smart-tank user add NAME --role admin|viewer|integrator|gateway [--can-command] [--hmac] [--password-stdin]
       smart-tank user passwd NAME [--password-stdin]
       smart-tank user del NAME
       smart-tank user list
options: --config FILE (default ${DEFAULT_CONFIG_FILE})
  --can-command     an integrator may send commands (admins always may, viewers never)
  --hmac            give the user a signing key (printed once): its commands must then be signed
  --password-stdin  read the password from the first line of stdin instead of prompting
A gateway user's password is generated and written to mqtt.passwordFile (the daemon's own login).
Mosquitto reads the same files: reload it after a change (the embedded broker notices by itself).`;

export interface SecretSource {
  /** Reads a secret: from stdin when piped, else prompting on the terminal without echo. */
  read(prompt: string, fromStdin: boolean): Promise<string>;
}

export async function userCommand(argv: string[], io: CliIo, secrets: SecretSource): Promise<number> {
  const parsed = parseCommand(argv, {
    usage: USER_USAGE,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      role: { type: 'string' },
      'can-command': { type: 'boolean', default: false },
      hmac: { type: 'boolean', default: false },
      'password-stdin': { type: 'boolean', default: false },
    },
    positionals: { min: 1, max: 2, names: 'an action (add, passwd, del, list)' },
  });
  if (parsed.help) {
    io.out(USER_USAGE);
    return 0;
  }
  const { values, positionals } = parsed;
  const [action, name] = positionals;
  const config = await loadConfigFile(values.config);
  const files = await loadUserFiles(config.mqtt);
  try {
    switch (action) {
      case 'list': {
        if (files.users.length === 0) io.out('no users');
        for (const u of files.users) {
          const grants = [u.canCommand ? 'can command' : '', files.keys.has(u.user) ? 'signs commands' : '']
            .filter(Boolean)
            .join(', ');
          io.out(`${u.user}\t${u.role}${grants ? `\t${grants}` : ''}`);
        }
        return 0;
      }
      case 'add': {
        if (!name) throw new UsageError('user add needs a NAME', USER_USAGE);
        const role = values.role as Role | undefined;
        if (!role || !ROLES.includes(role))
          throw new UsageError(`--role must be one of ${ROLES.join(', ')}`, USER_USAGE);
        let password: string;
        if (role === 'gateway') {
          password = randomBytes(24).toString('base64url');
        } else {
          password = await secrets.read(`Password for ${name}: `, values['password-stdin']);
        }
        const { hmacKey } = await addUser(files, name, role, password, {
          canCommand: values['can-command'],
          hmac: values.hmac,
        });
        await saveUserFiles(config.mqtt, files);
        if (role === 'gateway') {
          if (config.mqtt.passwordFile) {
            await writeFileAtomic(config.mqtt.passwordFile, password + '\n');
            io.out(`gateway user ${name} added; its password is in ${config.mqtt.passwordFile}`);
          } else {
            io.out(
              `gateway user ${name} added; password (set mqtt.passwordFile to a file holding it): ${password}`,
            );
          }
        } else {
          io.out(`user ${name} added (role ${role}${values['can-command'] ? ', can command' : ''})`);
        }
        if (hmacKey)
          io.out(`signing key for ${name} (shown once, keep it secret): ${hmacKey.toString('base64')}`);
        return 0;
      }
      case 'passwd': {
        if (!name) throw new UsageError('user passwd needs a NAME', USER_USAGE);
        await setPassword(
          files,
          name,
          await secrets.read(`New password for ${name}: `, values['password-stdin']),
        );
        await saveUserFiles(config.mqtt, files);
        io.out(`password of ${name} changed`);
        return 0;
      }
      case 'del': {
        if (!name) throw new UsageError('user del needs a NAME', USER_USAGE);
        deleteUser(files, name);
        await saveUserFiles(config.mqtt, files);
        io.out(`user ${name} deleted`);
        return 0;
      }
      default:
        throw new UsageError(`unknown user action "${action ?? ''}"`, USER_USAGE);
    }
  } catch (err) {
    if (err instanceof UserAdminError) {
      io.err(`smart-tank user: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

/** Secrets from the real terminal or stdin. */
export const terminalSecrets: SecretSource = {
  async read(prompt, fromStdin) {
    if (fromStdin || !process.stdin.isTTY) return readStdinLine();
    const first = await promptHidden(prompt);
    const again = await promptHidden('Again: ');
    if (first !== again) throw new UserAdminError('the two passwords differ');
    return first;
  },
};

async function readStdinLine(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) {
    data += String(chunk);
    if (data.includes('\n')) break;
  }
  return data.split('\n')[0]!.replace(/\r$/, '');
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          cleanup();
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          cleanup();
          reject(new UserAdminError('cancelled'));
          return;
        }
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const cleanup = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}
