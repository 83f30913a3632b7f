// What `config check` understood of each tank, in words and numbers an installer can check against the
// tank in front of them: capacity, sensor, thresholds in litres, probes, pump; and which thresholds are in
// force now when an admin changed them by command (read from the state file, never written).

import type { ControllerState } from '../control/types.js';
import { percentOf, tankShape, type TankShape } from '../level/geometry.js';
import type { Config, TankConfig } from './schema.js';

const litres = (x: number) => `${Math.round(x).toLocaleString('en')} L`;
const pct = (x: number) => `${Math.round(x * 10) / 10}%`;

export function describeConfig(config: Config, state?: Record<string, ControllerState>): string[] {
  return config.tanks.flatMap((tank) => describeTank(tank, state?.[tank.id]));
}

function describeTank(tank: TankConfig, state: ControllerState | undefined): string[] {
  const shape = tankShape(tank.geometry);
  const at = (p: number) => `${pct(p)} (${litres((p / 100) * shape.capacityLitres)})`;
  const c = tank.control;
  const lines = [
    `tank ${tank.id}${tank.name ? ` (${tank.name})` : ''}: ${geometryText(tank, shape)} = ${litres(shape.capacityLitres)}`,
    `  level sensor   ${sensorText(tank)}`,
    `  refill         opens below ${at(c.lowPct)}, closes at ${at(c.highPct)}; critical below ${at(c.criticalPct)}`,
    `  in force       ${inForce(tank, state)}`,
  ];
  if (c.refillWindows.length > 0) {
    const windows = c.refillWindows.map((w) => `${w.from}-${w.to}`).join(', ');
    const topUp =
      c.windowTopUpBelowPct !== undefined ? `, topping up below ${at(c.windowTopUpBelowPct)}` : '';
    lines.push(
      `  windows        refills start only ${windows} (local time)${topUp}, or below the critical level`,
    );
  }
  const electrodes = [...(tank.probes?.electrodes ?? [])].sort((a, b) => a.heightMm - b.heightMm);
  if (electrodes.length > 0) {
    const probes = electrodes.map(
      (e) =>
        `${e.id} ${e.heightMm} mm = ${pct(percentOf(shape, shape.litresAt(e.heightMm)))}${e.role === 'level' ? '' : ` (${e.role})`}`,
    );
    lines.push(`  probes         ${probes.join(', ')}`);
  }
  if (tank.pump)
    lines.push(
      `  pump           stops below ${at(tank.pump.stopBelowPct)}, restarts above ${pct(tank.pump.restartAbovePct)}`,
    );
  return lines;
}

function geometryText(tank: TankConfig, shape: TankShape): string {
  const g = tank.geometry;
  switch (g.shape) {
    case 'vertical-cylinder':
      return `vertical cylinder, ${g.diameterMm} mm across, ${g.heightMm} mm to the brim`;
    case 'horizontal-cylinder':
      return `horizontal cylinder, ${g.diameterMm} mm across, ${g.lengthMm} mm long`;
    case 'rectangular':
      return `rectangular, ${g.lengthMm} x ${g.widthMm} mm, ${g.heightMm} mm to the brim`;
    case 'calibration-table':
      return `calibration table of ${g.points.length} points, ${Math.round(shape.brimMm)} mm to the brim`;
  }
}

function sensorText(tank: TankConfig): string {
  const { ultrasonic: us, pressure: p } = tank.level;
  if (us)
    return `ultrasonic, face ${us.mountHeightMm} mm above the floor (dead zone ${us.minRangeMm} mm, range ${us.maxRangeMm} mm), every ${us.sampleIntervalMs / 1000} s`;
  if (p)
    return `pressure transmitter ${p.sensorHeightMm} mm above the floor, full scale ${p.fullScaleMm} mm of water`;
  return 'none';
}

function inForce(tank: TankConfig, state: ControllerState | undefined): string {
  const t = state?.thresholds;
  const c = tank.control;
  if (!t) return `thresholds ${c.lowPct}/${c.highPct}% from this file`;
  const edited = t.configLowPct !== c.lowPct || t.configHighPct !== c.highPct;
  return edited
    ? `thresholds ${t.lowPct}/${t.highPct}% set by ${t.by} by command will give way to this file's ${c.lowPct}/${c.highPct}% at the next start (its thresholds were edited since)`
    : `thresholds ${t.lowPct}/${t.highPct}% set by ${t.by} by command (this file says ${c.lowPct}/${c.highPct}%); editing control.lowPct or highPct here replaces them at the next start`;
}
