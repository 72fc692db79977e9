import { Injectable } from '@nestjs/common';

export interface ReadinessProbe {
  readonly name: string;
  /** Resolves with details when healthy; throws (with a message saying why) when not. */
  check(): Promise<Record<string, unknown>>;
}

/**
 * Readiness checks contributed by the platform (consumer joined and fetching, registry) and by
 * each service (its database, its relay). `/health/ready` runs them all.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly probes = new Map<string, ReadinessProbe>();
  private shuttingDown = false;

  register(probe: ReadinessProbe): void {
    this.probes.set(probe.name, probe);
  }

  all(): ReadinessProbe[] {
    return [...this.probes.values()];
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
