// Config schema of notifications (daemon/notify/): e-mail over SMTP and webhooks, per gateway and per
// user. Part of the one config schema (schema.ts).

import { z } from 'zod';
import { hhmm, id } from './primitives.js';

const severity = z.enum(['info', 'warning', 'alarm']);

const webhook = z.strictObject({
  /** e.g. https://ntfy.sh/my-farm-tank, a Gotify /message?token=... URL, a chat bot's incoming hook. */
  url: z.url({ protocol: /^https?$/ }),
  /** json: {title, message, text, gateway, tank, items, ...fields}; text: the message as text/plain. */
  format: z.enum(['json', 'text']).default('json'),
  /** Extra request headers (e.g. ntfy's Title or Priority, an Authorization header). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Extra fields merged into a json body (e.g. Pushover's token and user). */
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});

const recipient = z
  .strictObject({
    /** For logs and the dashboard (default: the e-mail address or the webhook's host). */
    name: z.string().min(1).max(64).optional(),
    /** The dashboard user this recipient belongs to: a user removed from the password file gets nothing. */
    user: z.string().min(1).optional(),
    email: z.email().optional(),
    webhook: webhook.optional(),
    /** Only these tanks (default: every tank). */
    tanks: z.array(id).optional(),
    /** Least severity sent to this recipient (default: notify.minSeverity). */
    minSeverity: severity.optional(),
    /** Receives the daily "all well" message (when notify.heartbeat is set). */
    heartbeat: z.boolean().default(true),
  })
  .refine((r) => r.email !== undefined || r.webhook !== undefined, 'needs an email or a webhook');

export const notifySchema = z
  .strictObject({
    email: z
      .strictObject({
        /** The SMTP server (a mail provider's submission server, or a relay on the farm's router). */
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        /** true: TLS from the first byte (port 465); false: STARTTLS on a plain connection (587). */
        secure: z.boolean().default(false),
        /** Refuse to send without STARTTLS (the password would cross the link in the clear). */
        requireTls: z.boolean().default(true),
        user: z.string().optional(),
        /** File holding the SMTP password (never the password itself in the config). */
        passwordFile: z.string().optional(),
        /** Sender address, e.g. "Farm tank <tank@farm.example>". */
        from: z.string().min(3),
      })
      .optional(),
    recipients: z.array(recipient).default([]),
    /** Least severity that is sent (info: every alarm notice; alarm: only faults and dangers). */
    minSeverity: severity.default('warning'),
    /** Messages to one recipient per hour; more wait and go out together in the next message. */
    perRecipientPerHour: z.number().int().min(1).max(120).default(6),
    /** After a failed send, retry after this long, doubling up to maxS; messages wait in SQLite. */
    retry: z
      .strictObject({
        initialS: z.number().positive().default(30),
        maxS: z.number().positive().default(1800),
      })
      .prefault({}),
    /** A daily "all well" message at this local time (gateway.timezone), so silence is never health. */
    heartbeat: z.strictObject({ at: hhmm }).nullable().default(null),
    /** Link to the dashboard put in every message, e.g. http://10.99.0.3:8080/ (the tunnel address). */
    dashboardUrl: z.url().optional(),
    /** Messages kept while every channel is down; past it the oldest go. */
    maxQueued: z.number().int().min(10).max(100_000).default(1000),
    /** One send attempt may take this long. */
    timeoutS: z.number().positive().max(300).default(20),
  })
  .superRefine((n, ctx) => {
    n.recipients.forEach((r, i) => {
      if (r.email && !n.email)
        ctx.addIssue({
          code: 'custom',
          path: ['recipients', i, 'email'],
          message: 'needs notify.email (the SMTP server) to be configured',
        });
    });
  });

export type NotifyConfig = z.infer<typeof notifySchema>;
export type NotifyRecipient = NotifyConfig['recipients'][number];
export type NotifySeverity = z.infer<typeof severity>;

/** Recipients naming tanks that do not exist (a typo would silently mean no message, ever). */
export function unknownNotifyTanks(
  notify: NotifyConfig | undefined,
  tankIds: readonly string[],
): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  notify?.recipients.forEach((r, i) =>
    r.tanks?.forEach((t, j) => {
      if (!tankIds.includes(t))
        problems.push({
          path: ['notify', 'recipients', i, 'tanks', j],
          message: `unknown tank "${t}" (tanks: ${tankIds.join(', ')})`,
        });
    }),
  );
  return problems;
}
