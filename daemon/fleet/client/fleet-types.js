// Types of the fleet page (JSDoc only: nothing here runs). The rows are the fleet service's own view
// (daemon/fleet/fleet-view.ts), checked by tsc: the page cannot drift from the server's field names.

/** @typedef {import('../fleet-view.js').FleetView} FleetView */
/** @typedef {import('../fleet-view.js').TankView} TankRow */
/** @typedef {import('../fleet-view.js').GatewayView} GatewayRow */
/** @typedef {import('../fleet-view.js').TankFlag} TankFlag */
/** @typedef {import('../fleet-feed.js').FleetDelta} FleetDelta */
/** @typedef {import('../fleet-state.js').CommandAnswer} CommandAnswer */
/** @typedef {'attention'|'all'|TankFlag} Filter */
/** @typedef {'server'|'site'|'none'} Grouping */
/** @typedef {'attention'|'gateway'|'server'|'site'|'level'|'status'|'updated'} SortKey */

export {};
