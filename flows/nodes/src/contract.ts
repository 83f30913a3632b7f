// The gateway's MQTT contract, as these nodes see it: every topic, payload type, the command schema and
// the command signature come from the daemon's own modules, compiled into this package by its build
// (lib/daemon/...), never copied. A change in the daemon's contract is a compile error here.

export {
  topicsFor,
  type Topics,
  type TankStatePayload,
  type TankEventPayload,
  type SystemHealth,
  type GatewayStatus,
} from '../../../daemon/telemetry/topics.js';
export {
  commandSchema,
  describeCommand,
  type CommandMessage,
} from '../../../daemon/commands/command-schema.js';
export type { CommandResult } from '../../../daemon/commands/command-service.js';
export { signCommand, HMAC_KEY_BYTES } from '../../../daemon/security/hmac.js';
export { topicMatches, hasWildcard } from '../../../daemon/security/topic-match.js';
/** Ids of gateways and tanks: the daemon's config rule. */
export { id as configIdSchema } from '../../../daemon/config/primitives.js';
export { mqttSchema } from '../../../daemon/config/mqtt-schema.js';
export { validUsername } from '../../../daemon/security/password-file.js';
export type { ControlEvent } from '../../../daemon/control/types.js';
