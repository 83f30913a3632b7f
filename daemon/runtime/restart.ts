// What a start after a crash or power cut tells the farmer: shared by the daemon and the simulator, so
// both raise the same one-shot alarm through the same path.

import { MINUTE_MS } from '../units.js';

export const UNCLEAN_RESTART_ALARM_MS = 15 * MINUTE_MS;
export const UNCLEAN_RESTART_MESSAGE = 'Restarted after a power cut or crash';
