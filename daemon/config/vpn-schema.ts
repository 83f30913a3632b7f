// Config schema of the VPN client tunnel (WireGuard or OpenVPN). Part of the one config schema (schema.ts).

import { z } from 'zod';

export const vpnSchema = z.strictObject({
  kind: z.enum(['wireguard', 'openvpn']),
});
