// The wire of notifications: a webhook POST (JSON or text, headers) to a real HTTP server, and e-mail
// through nodemailer to a real SMTP server (smtp-server), both on loopback.

import { afterEach, describe, expect, it } from 'vitest';
import { notifySchema } from '../../../daemon/config/notify-schema.js';
import { EmailChannel, WebhookChannel, type Outgoing } from '../../../daemon/notify/channels.js';
import { freePort } from '../../helpers/mqtt-plane.js';
import { SmtpReceiver, WebhookReceiver } from '../../helpers/receivers.js';

const out: Outgoing = {
  message: { subject: 'House tank: Possible leak', text: 'Alarm 1 Jun 10:00 - House tank: Possible leak.\n' },
  items: [
    { kind: 'alarm', tank: 'house', alarm: 'leak', active: true, severity: 'alarm', message: 'm', time: 't' },
  ],
  gateway: { id: 'gw', name: 'Farm' },
};
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

describe('notification channels', () => {
  it('a webhook gets JSON with title, message, items and the configured fields and headers', async () => {
    const hook = new WebhookReceiver(await freePort());
    await hook.start();
    stops.push(() => hook.stop());
    const r = notifySchema.parse({
      recipients: [
        {
          webhook: {
            url: `http://127.0.0.1:${hook.port}/push`,
            headers: { Authorization: 'Bearer abc' },
            fields: { token: 'pushover-app', priority: 1 },
          },
        },
      ],
    }).recipients[0]!;
    await new WebhookChannel(5000).send(r, out);
    expect(hook.hooks).toHaveLength(1);
    expect(hook.hooks[0]!.headers.authorization).toBe('Bearer abc');
    expect(hook.hooks[0]!.json).toEqual({
      title: out.message.subject,
      message: out.message.text,
      text: `${out.message.subject}\n${out.message.text}`,
      gateway: 'gw',
      gatewayName: 'Farm',
      items: out.items,
      token: 'pushover-app',
      priority: 1,
    });
  });

  it('a text webhook (ntfy) gets the message as text/plain with its title in a header', async () => {
    const hook = new WebhookReceiver(await freePort());
    await hook.start();
    stops.push(() => hook.stop());
    const r = notifySchema.parse({
      recipients: [{ webhook: { url: `http://127.0.0.1:${hook.port}/farm`, format: 'text' } }],
    }).recipients[0]!;
    await new WebhookChannel(5000).send(r, out);
    expect(hook.hooks[0]).toMatchObject({ body: out.message.text, headers: { title: out.message.subject } });
    expect(hook.hooks[0]!.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('a webhook that is down, or answers an error, fails the send (so it is retried)', async () => {
    const port = await freePort();
    const r = notifySchema.parse({ recipients: [{ webhook: { url: `http://127.0.0.1:${port}/x` } }] })
      .recipients[0]!;
    await expect(new WebhookChannel(2000).send(r, out)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('e-mail goes through SMTP with the configured sender, to the recipient', async () => {
    const smtp = new SmtpReceiver(await freePort());
    await smtp.start();
    stops.push(() => smtp.stop());
    const n = notifySchema.parse({
      email: { host: '127.0.0.1', port: smtp.port, requireTls: false, from: 'Farm tank <tank@farm.example>' },
      recipients: [{ email: 'farmer@farm.example' }],
    });
    await new EmailChannel(n.email!, 5000).send(n.recipients[0]!, out);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]).toMatchObject({
      from: 'tank@farm.example',
      to: ['farmer@farm.example'],
      subject: out.message.subject,
    });
    expect(smtp.mails[0]!.text).toContain('House tank: Possible leak.');
  });

  it('e-mail refuses to go without TLS when requireTls (the default) and the server offers none', async () => {
    const smtp = new SmtpReceiver(await freePort());
    await smtp.start();
    stops.push(() => smtp.stop());
    const n = notifySchema.parse({
      email: { host: '127.0.0.1', port: smtp.port, from: 'tank@farm.example' },
      recipients: [{ email: 'farmer@farm.example' }],
    });
    await expect(new EmailChannel(n.email!, 5000).send(n.recipients[0]!, out)).rejects.toThrow(
      /STARTTLS|TLS/i,
    );
    expect(smtp.mails).toHaveLength(0);
  });
});
