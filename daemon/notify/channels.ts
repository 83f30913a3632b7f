// Where a message goes: e-mail over SMTP (nodemailer, loaded the first time a mail is sent) and a
// generic webhook (an HTTP POST, covering ntfy, Gotify, Pushover and chat bots). Each send is bounded
// by a timeout and either resolves (sent) or rejects with what went wrong.

import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { NotifyConfig, NotifyRecipient } from '../config/notify-schema.js';
import type { Message } from './messages.js';
import type { QueueItem } from './policy.js';

export interface Outgoing {
  message: Message;
  items: readonly QueueItem[];
  gateway: { id: string; name?: string };
}

export interface Channel {
  send(recipient: NotifyRecipient, out: Outgoing): Promise<void>;
}

type Transport = {
  sendMail(m: { from: string; to: string; subject: string; text: string }): Promise<unknown>;
};

/** SMTP through nodemailer; the module and the transport are made on the first mail. */
export class EmailChannel implements Channel {
  private transport: Promise<Transport> | undefined;

  constructor(
    private readonly email: NonNullable<NotifyConfig['email']>,
    private readonly timeoutMs: number,
  ) {}

  async send(recipient: NotifyRecipient, out: Outgoing): Promise<void> {
    if (!recipient.email) throw new Error('recipient has no e-mail address');
    this.transport ??= this.makeTransport().catch((err: unknown) => {
      this.transport = undefined;
      throw err;
    });
    const transport = await this.transport;
    await transport.sendMail({
      from: this.email.from,
      to: recipient.email,
      subject: out.message.subject,
      text: out.message.text,
    });
  }

  private async makeTransport(): Promise<Transport> {
    const e = this.email;
    const password = e.passwordFile ? (await readFile(e.passwordFile, 'utf8')).trim() : undefined;
    const nodemailer = await import('nodemailer');
    return nodemailer.createTransport({
      host: e.host,
      port: e.port,
      secure: e.secure,
      requireTLS: e.requireTls && !e.secure,
      ...(e.user ? { auth: { user: e.user, pass: password ?? '' } } : {}),
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
      // One connection per message: a few messages a day do not need a pool kept open.
      pool: false,
    }) as Transport;
  }
}

export class WebhookChannel implements Channel {
  constructor(private readonly timeoutMs: number) {}

  send(recipient: NotifyRecipient, out: Outgoing): Promise<void> {
    const hook = recipient.webhook;
    if (!hook) return Promise.reject(new Error('recipient has no webhook'));
    const url = new URL(hook.url);
    const { body, contentType } = webhookBody(hook, out);
    const asciiTitle = /^[\x20-\x7e]*$/.test(out.message.subject) ? out.message.subject : undefined;
    const headers: Record<string, string> = {
      'content-type': contentType,
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'smart-tank-gateway',
      ...(hook.format === 'text' && asciiTitle ? { title: asciiTitle } : {}),
      ...hook.headers,
    };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        { method: 'POST', headers, signal: AbortSignal.timeout(this.timeoutMs) },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`webhook answered HTTP ${status}`));
          });
        },
      );
      req.on('error', (err) => reject(new Error(`webhook ${url.host}: ${err.message}`, { cause: err })));
      req.end(body);
    });
  }
}

export function webhookBody(
  hook: NonNullable<NotifyRecipient['webhook']>,
  out: Outgoing,
): { body: string; contentType: string } {
  if (hook.format === 'text') return { body: out.message.text, contentType: 'text/plain; charset=utf-8' };
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      title: out.message.subject,
      message: out.message.text,
      text: `${out.message.subject}\n${out.message.text}`,
      gateway: out.gateway.id,
      gatewayName: out.gateway.name ?? null,
      items: out.items,
      ...hook.fields,
    }),
  };
}
