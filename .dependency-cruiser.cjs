/** Import rules that keep the architecture visible: services talk through topics only. */
const services = ['ledger', 'alerting', 'notifier', 'sentiment', 'gateway'];
module.exports = {
  forbidden: [
    ...services.map((svc) => ({
      name: `no-${svc}-to-other-service`,
      severity: 'error',
      comment: 'Services never import each other; they talk through Kafka topics.',
      from: { path: `^src/${svc}/` },
      to: { path: `^src/(${services.filter((s) => s !== svc).join('|')})/` },
    })),
    {
      name: 'platform-imports-no-service',
      severity: 'error',
      comment: 'Shared platform code must not depend on any service.',
      from: { path: '^src/platform/' },
      to: { path: `^src/(${services.join('|')})/` },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'Domain code imports nothing from Nest, TypeORM, Kafka or the database.',
      from: { path: '^src/[^/]+/domain/' },
      to: { path: '(@nestjs|typeorm|kafkajs|^pg$|node_modules/pg/|src/platform/(messaging|database|outbox))' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
