/** Injection tokens of the notifier service. */
export const NOTIFIER_SETTINGS = Symbol('NOTIFIER_SETTINGS');
/** `() => number`: wall clock of the scheduler and the delivery queue (tests may replace it). */
export const NOTIFIER_CLOCK = Symbol('NOTIFIER_CLOCK');
export type Clock = () => number;
