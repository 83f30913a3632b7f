// Ultrasonic rangers time an echo and assume a speed of sound (usually at 20 °C). Sound is faster in warm
// air, so an uncompensated sensor reads a warm tank's air gap short: about 0.17% per °C, which is the
// ~10 cm daily swing farmers see on tall tanks.

const KELVIN = 273.15;
const SPEED_AT_0C_M_PER_S = 331.3;

export function speedOfSoundMPerS(airTemperatureC: number): number {
  return SPEED_AT_0C_M_PER_S * Math.sqrt(1 + airTemperatureC / KELVIN);
}

/** Corrects a distance the sensor computed at `assumedC` to the true distance at `actualC`. */
export function compensateDistanceMm(reportedMm: number, assumedC: number, actualC: number): number {
  return (reportedMm * speedOfSoundMPerS(actualC)) / speedOfSoundMPerS(assumedC);
}
