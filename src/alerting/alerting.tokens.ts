/** Injection tokens of the alerting service. */
export const ALERTING_SETTINGS = Symbol('ALERTING_SETTINGS');
/** `() => number`: wall clock for ticks and API times (tests replace it). */
export const ALERTING_CLOCK = Symbol('ALERTING_CLOCK');
export type Clock = () => number;
