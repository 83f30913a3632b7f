// Where a bundle's files go on the Pi (provisioning/BUNDLE.md is the contract with first boot). One place
// for the paths: the generated config, the Mosquitto drop-ins and the MANIFEST all name them from here.

export const DEVICE_PATHS = {
  configDir: '/etc/smart-tank',
  config: '/etc/smart-tank/config.yaml',
  mqttPasswd: '/etc/smart-tank/mqtt.passwd',
  mqttAcl: '/etc/smart-tank/mqtt.acl',
  hmacKeys: '/etc/smart-tank/hmac.keys',
  mqttPassword: '/etc/smart-tank/mqtt-password',
  vpnDir: '/etc/smart-tank/vpn',
  wgConf: '/etc/smart-tank/vpn/wg0.conf',
  ovpnProfile: '/etc/smart-tank/vpn/gateway.ovpn',
  ovpnAuth: '/etc/smart-tank/vpn/auth.txt',
  tlsDir: '/etc/smart-tank/tls',
  caCert: '/etc/smart-tank/tls/ca.crt',
  deviceCert: '/etc/smart-tank/tls/device.crt',
  deviceKey: '/etc/smart-tank/tls/device.key',
  nftDir: '/etc/nftables.d',
  nftIfaces: '/etc/nftables.d/smart-tank-ifaces.nft',
  mosquittoConfDir: '/etc/mosquitto/conf.d',
  mosquittoListeners: '/etc/mosquitto/conf.d/smart-tank-listeners.conf',
  mosquittoBridge: '/etc/mosquitto/conf.d/smart-tank-bridge.conf',
  stateDir: '/var/lib/smart-tank',
  provisioningRecord: '/var/lib/smart-tank/provisioning.json',
  vpnStatusFile: '/run/smart-tank-vpn/status.json',
  vpnRuntimeDir: '/run/smart-tank-vpn/private',
} as const;

/** First boot installs nothing outside these (BUNDLE.md, "What first boot must do"). */
export const ALLOWED_DESTINATION_PREFIXES = [
  '/etc/smart-tank/',
  '/etc/nftables.d/',
  '/etc/mosquitto/conf.d/',
  '/var/lib/smart-tank/',
] as const;

/** The folder on the boot partition, by Raspberry Pi OS release. */
export const BOOT_BUNDLE_DIRS = ['/boot/firmware/smart-tank', '/boot/smart-tank'] as const;
export const BUNDLE_DIR_NAME = 'smart-tank';
export const BUNDLE_FORMAT = 1;
