import { jest } from '@jest/globals';

// Integration tests start processes and wait for real brokers; their waits are bounded by
// waitFor() deadlines, so the per-test limit only catches a hung test.
jest.setTimeout(180_000);
