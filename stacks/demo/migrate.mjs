// A one-shot task shaped like a schema migration: it applies its steps, says
// so, and exits 0. stigmer-server waits for it (`depends_on: migrate: completed`).
// With MIGRATE_FAIL set it fails, so the held dependents can be seen.
const steps = ['0001_workflows', '0002_agents', '0003_sessions'];
for (const [i, step] of steps.entries()) {
  await new Promise((r) => setTimeout(r, 100));
  console.log(`applied ${step} (${i + 1}/${steps.length})`);
}
if (process.env.MIGRATE_FAIL) {
  console.error('ERROR: 0004_memory: relation "memory" already exists');
  process.exit(3);
}
console.log('schema is up to date');
