// Two tiers by suffix: *.spec.ts are pure and fast; *.int-spec.ts talk to the real stack
// (Kafka, schema registry, PostgreSQL) that test/global-setup.ts brings up.
// Some CommonJS dependencies (e.g. @fastify/static) require ESM-only packages, which Jest cannot
// do on Node 20: compile those few packages to CommonJS.
const esmOnlyRequiredFromCjs = ['content-disposition'];
const transform = {
  '^.+\\.ts$': ['@swc/jest'],
  [`/node_modules/(${esmOnlyRequiredFromCjs.join('|')})/.+\\.js$`]: [
    '@swc/jest',
    { module: { type: 'commonjs' }, jsc: { target: 'es2022' } },
  ],
};
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyRequiredFromCjs.join('|')})/)`],
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/src/**/*.int-spec.ts', '<rootDir>/test/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-setup.ts'],
    },
  ],
};
