// Types shared by the page's modules (JSDoc only: nothing here runs). The field names of tank states,
// events and health come from the gateway's own contract, daemon/telemetry/topics.ts, checked by tsc.

/** @typedef {import('../../telemetry/topics.js').TankStatePayload} TankState */
/** @typedef {import('../../telemetry/topics.js').TankEventPayload} TankEvent */
/** @typedef {import('../../telemetry/topics.js').SystemHealth & {rootFsFreeMb?: number, rootFsUsedPct?: number, throttling?: {underVoltageNow: boolean, throttledNow: boolean, frequencyCappedNow: boolean, softTemperatureLimitNow: boolean}}} SystemHealth */
/** @typedef {import('../../commands/command-service.js').CommandResult} CommandResult */
/** @typedef {import('../routes/session.js').DashboardInfo} DashboardInfo */
/** @typedef {import('../routes/data.js').ActiveAlarm} ActiveAlarm */
/** @typedef {import('../trends.js').Trend} Trend */
/** @typedef {import('../../security/audit-log.js').AuditRecord} AuditRecord */
/** @typedef {import('../audit-reader.js').ChainStatus} ChainStatus */
/** @typedef {{name: string, role: string, canCommand: boolean}} SessionUser */
/** @typedef {Partial<DashboardInfo> & {user: SessionUser|null, csrf?: string, usersExist?: boolean, gateway?: {name: string|null, id?: string, timezone?: string}}} SessionInfo */
/** @typedef {{tank: string, name: string|null, capacityLitres: number, hasPump: boolean, manualMaxMinutes: number, criticalPct: number}} TankInfo */

export {};
