// Config schema of notifications (daemon/notify/): e-mail over SMTP and webhooks, per gateway and per
// user. Part of the one config schema (schema.ts).

import * as z from './zod.js';
import { hhmm, id } from './primitives.js';

const severity = z.enum(['info', 'warning', 'alarm']);

const webhook = z.strictObject({
  /** e.g. https://ntfy.sh/my-farm-tank, a Gotify /message?token=... URL, a chat bot's incoming hook. */
  url: z.url({ protocol: /^https?$/ }),
  /** json: {title, message, text, gateway, tank, items, ...fields}; text: the message as text/plain. */
  format: z._default(z.enum(['json', 'text']), 'json'),
  /** Extra request headers (e.g. ntfy's Title or Priority, an Authorization header). */
  headers: z._default(z.record(z.string(), z.string()), {}),
  /** Extra fields merged into a json body (e.g. Pushover's token and user). */
  fields: z._default(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])), {}),
});

const recipient = z
  .strictObject({
    /** For logs and the dashboard (default: the e-mail address or the webhook's host). */
    name: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    /** The dashboard user this recipient belongs to: a user removed from the password file gets nothing. */
    user: z.optional(z.string().check(z.minLength(1))),
    email: z.optional(z.email()),
    webhook: z.optional(webhook),
    /** Only these tanks (default: every tank). */
    tanks: z.optional(z.array(id)),
    /** Least severity sent to this recipient (default: notify.minSeverity). */
    minSeverity: z.optional(severity),
    /** Receives the daily "all well" message (when notify.heartbeat is set). */
    heartbeat: z._default(z.boolean(), true),
  })
  .check(z.refine((r) => r.email !== undefined || r.webhook !== undefined, 'needs an email or a webhook'));

export const notifySchema = z
  .strictObject({
    email: z.optional(
      z.strictObject({
        /** The SMTP server (a mail provider's submission server, or a relay on the farm's router). */
        host: z.string().check(z.minLength(1)),
        port: z._default(z.number().check(z.int(), z.gte(1), z.lte(65535)), 587),
        /** true: TLS from the first byte (port 465); false: STARTTLS on a plain connection (587). */
        secure: z._default(z.boolean(), false),
        /** Refuse to send without STARTTLS (the password would cross the link in the clear). */
        requireTls: z._default(z.boolean(), true),
        user: z.optional(z.string()),
        /** File holding the SMTP password (never the password itself in the config). */
        passwordFile: z.optional(z.string()),
        /** Sender address, e.g. "Farm tank <tank@farm.example>". */
        from: z.string().check(z.minLength(3)),
      }),
    ),
    recipients: z._default(z.array(recipient), []),
    /** Least severity that is sent (info: every alarm notice; alarm: only faults and dangers). */
    minSeverity: z._default(severity, 'warning'),
    /** Messages to one recipient per hour; more wait and go out together in the next message. */
    perRecipientPerHour: z._default(z.number().check(z.int(), z.gte(1), z.lte(120)), 6),
    /** After a failed send, retry after this long, doubling up to maxS; messages wait in SQLite. */
    retry: z.prefault(
      z.strictObject({
        initialS: z._default(z.number().check(z.positive()), 30),
        maxS: z._default(z.number().check(z.positive()), 1800),
      }),
      {},
    ),
    /** A daily "all well" message at this local time (gateway.timezone), so silence is never health. */
    heartbeat: z._default(z.nullable(z.strictObject({ at: hhmm })), null),
    /** Link to the dashboard put in every message, e.g. http://10.99.0.3:8080/ (the tunnel address). */
    dashboardUrl: z.optional(z.url()),
    /** Messages kept while every channel is down; past it the oldest go. */
    maxQueued: z._default(z.number().check(z.int(), z.gte(10), z.lte(100_000)), 1000),
    /** One send attempt may take this long. */
    timeoutS: z._default(z.number().check(z.positive(), z.lte(300)), 20),
  })
  .check(
    z.superRefine((n, ctx) => {
      n.recipients.forEach((r, i) => {
        if (r.email && !n.email)
          ctx.addIssue({
            code: 'custom',
            path: ['recipients', i, 'email'],
            message: 'needs notify.email (the SMTP server) to be configured',
          });
      });
    }),
  );

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
