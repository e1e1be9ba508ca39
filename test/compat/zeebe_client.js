// Drives a gateway through the unmodified `zeebe-node` client. The caller installs zeebe-node and
// points NODE_PATH at its node_modules.
//   node zeebe_client.js <host:port>            prints `await zbc.topology()` as one JSON line
//   node zeebe_client.js <host:port> publish    publishes a message; prints the response, or
//                                                 exits 1 with the gateway's error on stderr
//   node zeebe_client.js <host:port> signal     broadcasts a signal; the same
//   node zeebe_client.js <host:port> scenario <file.bpmn>
//       deploys the file (a process "compat" with one service task of type "compat-task"),
//       starts 5 instances and one with result while a worker completes every job (n -> n * 2),
//       publishes a message; prints one JSON line with what each step returned
'use strict';

const { ZBClient } = require('zeebe-node');

const address = process.argv[2];
const operation = process.argv[3] || 'topology';
if (!address || !['topology', 'publish', 'signal', 'scenario'].includes(operation)) {
  console.error('usage: node zeebe_client.js <host:port> [topology|publish|signal|scenario FILE]');
  process.exit(2);
}

// A hung call must fail the test, not stall it until ctest's own timeout.
const guard = setTimeout(() => {
  console.error(`no answer from ${address} within 60s`);
  process.exit(3);
}, 60000);

async function main() {
  // Plaintext, no OAuth, no retries: a refusal must surface as an error at once.
  const zbc = new ZBClient(address, { useTLS: false, loglevel: 'NONE', retry: false });
  try {
    let result;
    if (operation === 'topology') {
      result = await zbc.topology();
    } else if (operation === 'publish') {
      result = await zbc.publishMessage({ name: 'compat', correlationKey: 'k', variables: {} });
    } else if (operation === 'signal') {
      result = await zbc.broadcastSignal({ signalName: 'compat', variables: {} });
    } else {
      result = await scenario(zbc, process.argv[4]);
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await zbc.close();
  }
}

async function scenario(zbc, file) {
  const out = {};
  const deployed = await zbc.deployResource({ processFilename: file });
  out.deployed = deployed.deployments.map((d) => d.process);
  let completed = 0;
  let allDone;
  const done = new Promise((resolve) => { allDone = resolve; });
  zbc.createWorker({
    taskType: 'compat-task',
    taskHandler: (job) => {
      completed += 1;
      if (completed >= 6) allDone();
      return job.complete({ done: true, n: (job.variables.n || 0) * 2 });
    },
  });
  out.created = [];
  for (let i = 0; i < 5; i++) {
    const instance = await zbc.createProcessInstance({ bpmnProcessId: 'compat', variables: { n: i } });
    out.created.push({ key: instance.processInstanceKey, version: instance.version });
  }
  const result = await zbc.createProcessInstanceWithResult({
    bpmnProcessId: 'compat', variables: { n: 21 }, requestTimeout: 30000 });
  out.result = result.variables;
  await done;
  out.completed = completed;
  try {
    out.publish = { ok: await zbc.publishMessage({
      name: 'paid', correlationKey: 'order-123', variables: { paid: true }, timeToLive: 10000 }) };
  } catch (error) {
    out.publish = { error: error && error.message ? error.message : String(error) };
  }
  return out;
}

main().then(
  () => {
    clearTimeout(guard);
    process.exit(0);
  },
  (error) => {
    console.error(`${operation} call to ${address} failed: ${error && error.message ? error.message : error}`);
    process.exit(1);
  });
