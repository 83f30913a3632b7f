// Every word the page shows, in one place: to translate the dashboard, translate this file.
// Functions build sentences with numbers (so word order and plurals can follow the language).

export const LOCALE = 'en-GB';

export const t = {
  appName: 'Tank',
  skipToContent: 'Skip to content',

  // navigation
  navTanks: 'Tanks',
  navTrends: 'Trends',
  navAlarms: 'Alarms',
  navGateway: 'Gateway',
  alarmsBadge: (/** @type {number} */ n) => `${n} active`,

  // connection
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  reconnectingShort: 'Reconnecting',
  connectingShort: 'Connecting',
  offline: 'Offline',
  notLiveBanner: (/** @type {string|null} */ since) =>
    since ? `Reconnecting… The values shown are from ${since} and may be out of date.` : 'Reconnecting…',
  offlineBanner: (/** @type {string|null} */ since) =>
    since
      ? `No connection to the gateway since ${since}. Trying again. The values shown are not current.`
      : 'No connection to the gateway. Trying again.',

  // login
  loginTitle: 'Log in',
  loginIntro: (/** @type {string|null} */ gateway) =>
    gateway ? `Log in to ${gateway} with your gateway user name.` : 'Log in with your gateway user name.',
  userName: 'User name',
  password: 'Password',
  logIn: 'Log in',
  loggingIn: 'Logging in…',
  loginRefused: 'Wrong user name or password.',
  loginLocked: (/** @type {number} */ minutes) =>
    `Too many failed logins from this device: try again in ${minutes} minutes.`,
  loginNoRole: 'This user has no dashboard role.',
  loginFailed: 'The gateway did not answer. Check the VPN connection and try again.',
  noUsersYet:
    'No user exists on this gateway yet. On the gateway, create one with: smart-tank user add NAME --role admin',
  logOut: 'Log out',
  signedInAs: (/** @type {string} */ user, /** @type {string} */ role) =>
    `Signed in as ${user} (${roleName(role)})`,
  sessionEnded: 'Your session ended: please log in again.',

  // tank card
  levelUnknown: '—',
  noReadingYet: 'No level reading yet',
  ofCapacity: (/** @type {string} */ litres, /** @type {string} */ capacity) =>
    `${litres} L of ${capacity} L`,
  litresUnknown: (/** @type {string} */ capacity) => `capacity ${capacity} L`,
  stale: 'STALE',
  staleExplain: (/** @type {string|null} */ when) =>
    when ? `Not current: last good reading ${when}` : 'Not current: no good reading yet',
  notLiveExplain: 'Not live: waiting for the gateway',
  lastReading: 'Last reading',
  updated: 'Updated',
  valve: 'Fill valve',
  pump: 'Pump',
  mode: 'Mode',
  flow: 'Flow',
  valveOpen: 'Open',
  valveClosed: 'Closed',
  pumpOn: 'On',
  pumpOff: 'Off',
  noPump: 'None',
  modeAuto: 'Automatic',
  modeManual: 'Manual',
  manualUntil: (/** @type {string} */ when) => `by hand until ${when}, then automatic`,
  holding: (/** @type {string} */ why) => `Held: ${why}`,
  flowRising: (/** @type {string} */ lpm) => `Level rising ${lpm} L/min`,
  flowFalling: (/** @type {string} */ lpm) => `Level falling ${lpm} L/min`,
  flowSteady: 'Level steady',
  fullIn: (/** @type {string} */ d) => `full in ${d}`,
  emptyIn: (/** @type {string} */ d) => `empty in about ${d} at this rate`,
  thresholdsLine: (/** @type {number} */ low, /** @type {number} */ high) =>
    `Refills below ${low} %, stops at ${high} %`,
  tankGraphic: (/** @type {string} */ name, /** @type {string} */ level) => `${name}: ${level}`,
  levelPctWords: (/** @type {string} */ pct) => `level ${pct} percent`,
  activeAlarms: 'Active alarms',
  controls: 'Controls',
  showTrend: 'Trend',

  // the tank's status (the gateway's own words for a fault's detail)
  waterRefilling: 'Water is refilling',
  waterReady: 'Water is ready to use',
  fault: (/** @type {string} */ detail) => `Fault: ${detail}`,

  // controls
  controlsTitle: (/** @type {string} */ tank) => `Controls: ${tank}`,
  close: 'Close',
  cancel: 'Cancel',
  confirm: 'Yes, do it',
  sending: 'Sending…',
  forMinutes: 'How long, by hand',
  minutes: (/** @type {number} */ m) => (m < 60 ? `${m} min` : m % 60 === 0 ? `${m / 60} h` : `${m} min`),
  openValve: 'Open valve',
  closeValve: 'Close valve',
  pumpOnButton: 'Pump on',
  pumpOffButton: 'Pump off',
  autoButton: 'Automatic',
  manualButton: 'Manual (hold as is)',
  thresholds: 'Refill thresholds',
  lowThreshold: 'Start refill below (%)',
  highThreshold: 'Stop refill at (%)',
  saveThresholds: 'Save thresholds',
  lower: (/** @type {string} */ what) => `Lower ${what}`,
  raise: (/** @type {string} */ what) => `Raise ${what}`,
  resetAlarms: 'Clear refill lockouts',
  manualNote: (/** @type {number} */ max) =>
    `By hand for at most ${max} min; then automatic control resumes on its own. Safety rules always apply.`,
  ask: {
    valveOpen: (/** @type {string} */ tank, /** @type {number} */ m) =>
      `Open the fill valve of ${tank} for ${t.minutes(m)}?`,
    valveClose: (/** @type {string} */ tank, /** @type {number} */ m) =>
      `Close the fill valve of ${tank} (held closed for ${t.minutes(m)})?`,
    pumpOn: (/** @type {string} */ tank, /** @type {number} */ m) =>
      `Run the pump of ${tank} for ${t.minutes(m)}?`,
    pumpOff: (/** @type {string} */ tank, /** @type {number} */ m) =>
      `Stop the pump of ${tank} (held off for ${t.minutes(m)})?`,
    auto: (/** @type {string} */ tank) => `Return ${tank} to automatic control?`,
    manual: (/** @type {string} */ tank, /** @type {number} */ m) =>
      `Hold the valve and pump of ${tank} as they are for ${t.minutes(m)}?`,
    thresholds: (/** @type {string} */ tank, /** @type {number} */ low, /** @type {number} */ high) =>
      `Refill ${tank} below ${low} % and stop at ${high} %?`,
    reset: (/** @type {string} */ tank) =>
      `Clear the refill lockouts of ${tank} (refilling may start again)?`,
    ack: (/** @type {string} */ tank, /** @type {string} */ alarm) => `Acknowledge "${alarm}" on ${tank}?`,
  },
  accepted: (/** @type {string} */ message) => `Done: ${message}.`,
  refused: (/** @type {string} */ reason) => `Refused by the gateway: ${reason}`,
  notAllowed: 'Your role may only read: the gateway refused this.',
  tooMany: 'Too many commands: wait a moment and try again.',
  noAnswer: 'No answer from the gateway. The command may not have arrived: check the state, then try again.',
  thresholdsInvalid: 'The start level must be below the stop level.',

  // trends
  trendsTitle: 'Trends',
  chooseTank: 'Tank',
  range: 'Period',
  ranges: { '24h': '24 h', '7d': '7 days', '30d': '30 days' },
  rangeWords: { '24h': '24 hours', '7d': '7 days', '30d': '30 days' },
  tapForValue: 'Tap the chart to read a value.',
  readout: (
    /** @type {string} */ when,
    /** @type {string} */ pct,
    /** @type {string} */ litres,
    /** @type {boolean} */ refilling,
  ) => `${when}: ${pct} % (${litres} L)${refilling ? ', refilling' : ''}`,
  readoutGap: (/** @type {string} */ when) => `${when}: no reading`,
  chartLabel: (/** @type {string} */ tank, /** @type {string} */ range) =>
    `Level of ${tank} over the last ${range}`,
  legendLevel: 'Level (%)',
  legendRefill: 'Shaded: refilling',
  legendThresholds: 'Dashed: refill thresholds',
  loading: 'Loading…',
  noHistory: 'No history yet for this period (history is kept once the gateway clock is synchronized).',
  usePerDay: 'Water used per day',
  usedLitres: (/** @type {string} */ l) => `${l} L`,
  partialDay: 'part of day',
  daysLeft: (/** @type {string} */ days, /** @type {string} */ perDay) =>
    `Without refilling: about ${days} of water left at the recent use (${perDay} L a day).`,
  daysLeftNone: 'Not enough use recently to estimate when the tank would run dry.',
  daysLeftUnknown: 'Not enough history yet to estimate the days of water left.',
  days: (/** @type {number} */ d) =>
    d < 1
      ? `${Math.max(1, Math.round(d * 24))} hours`
      : Math.round(d) === 1
        ? '1 day'
        : `${Math.round(d)} days`,
  trendFailed: 'The trend could not be loaded. Try again.',
  retry: 'Try again',

  // alarms
  alarmsTitle: 'Alarms',
  noActiveAlarms: 'No active alarms.',
  since: (/** @type {string} */ when) => `since ${when}`,
  acknowledge: 'Acknowledge',
  acknowledged: 'Acknowledged',
  acknowledgedNote: 'Acknowledged: stays listed until its cause is gone.',
  recentHistory: 'Recent history',
  noHistoryEvents: 'Nothing happened recently.',
  severity: { info: 'Notice', warning: 'Warning', alarm: 'Alarm' },
  raised: 'raised',
  cleared: 'cleared',
  eventValve: (/** @type {boolean} */ open, /** @type {string} */ reason) =>
    `Fill valve ${open ? 'opened' : 'closed'}: ${reason}`,
  eventPump: (/** @type {boolean} */ on, /** @type {string} */ reason) =>
    `Pump ${on ? 'started' : 'stopped'}: ${reason}`,
  eventMode: (/** @type {string} */ mode, /** @type {string} */ reason) =>
    `${mode === 'auto' ? 'Automatic' : 'Manual'} control: ${reason}`,
  eventFill: (/** @type {string} */ litres, /** @type {string} */ minutes) =>
    `Refill finished: ${litres} L in ${minutes} min`,
  eventAlarm: (/** @type {string} */ name, /** @type {boolean} */ active) =>
    `${name} ${active ? 'raised' : 'cleared'}`,

  /** @type {Record<string, string>} */
  alarmNames: {
    'sensor-stale': 'Level sensor not responding',
    'sensor-noisy': 'Level sensor noisy',
    'sensor-disagree': 'Level sensor and probes disagree',
    'high-high': 'Nearly overflowing (top probe wet)',
    'dry-run': 'Pump stopped: too low (bottom probe dry)',
    'no-rise': 'Refilling but the level does not rise',
    'fill-timeout': 'Refill took too long',
    leak: 'Possible leak',
    'short-cycling': 'Switching too often',
    'level-high': 'Level high',
    'level-critical': 'Almost empty',
    'unclean-restart': 'Restarted after a power cut or crash',
    'clock-unsynced': 'Clock not synchronized',
  },

  // gateway health
  gatewayTitle: 'Gateway',
  health: 'Health',
  cpuLoad: 'CPU load (1 min)',
  cpuBusy: 'CPU busy',
  memory: 'Memory used',
  memoryAvailable: (/** @type {string} */ size) => `${size} free`,
  temperature: 'CPU temperature',
  uptime: 'Running for',
  sdCard: 'SD card free',
  vpn: 'VPN tunnel',
  vpnNone: 'not configured',
  vpnStates: {
    connecting: 'connecting',
    up: 'up',
    stale: 'stale (no data lately)',
    down: 'down',
    stopped: 'stopped',
  },
  handshake: (/** @type {string} */ age) => `last handshake ${age} ago`,
  outbox: 'Messages waiting to send',
  daemonMemory: 'Gateway program memory',
  throttled: 'Power or heat problem',
  underVoltage: 'Under-voltage now: check the power supply',
  throttledNow: 'Slowed down (heat or power)',
  powerOk: 'No power or heat problem',
  unknown: 'unknown',
  audit: 'Audit log',
  auditIntact: (/** @type {number} */ n) => `Chain intact (${n} entries verified)`,
  auditBroken: (/** @type {number} */ line, /** @type {string} */ why) =>
    `Chain broken at line ${line}: ${why}`,
  auditWho: 'Who',
  auditWhat: 'What',
  auditResult: 'Result',
  auditTime: 'When',
  auditFrom: 'From',
  auditEmpty: 'No entries yet.',
  auditFailed: 'The audit log could not be read.',
  version: (/** @type {string} */ v) => `Version ${v}`,
  healthWaiting: 'Waiting for the first health report…',

  // units and relative time
  durationMin: (/** @type {number} */ m) =>
    m < 60
      ? `${Math.round(m)} min`
      : m < 48 * 60
        ? `${Math.round(m / 6) / 10} h`
        : `${Math.round(m / 144) / 10} days`,
  ago: (/** @type {number} */ s) =>
    s < 60 ? `${Math.round(s)} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 360) / 10} h`,
  relative: (/** @type {string} */ time, /** @type {string} */ ago) => `${time} (${ago} ago)`,
  justNow: (/** @type {string} */ time) => `${time} (just now)`,
  megabytes: (/** @type {string} */ mb) => `${mb} MB`,
  gigabytes: (/** @type {string} */ gb) => `${gb} GB`,
};

/** @param {string} role */
export function roleName(role) {
  return (
    /** @type {Record<string, string>} */ ({ admin: 'admin', viewer: 'viewer', integrator: 'integrator' })[
      role
    ] ?? role
  );
}

/** @param {string} kind */
export function alarmName(kind) {
  return t.alarmNames[kind] ?? kind;
}
