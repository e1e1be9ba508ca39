// Drives a gateway through the unmodified `zeebe-node` client. The caller installs zeebe-node and
// points NODE_PATH at its node_modules.
//   node zeebe_client.js <host:port>            prints `await zbc.topology()` as one JSON line
//   node zeebe_client.js <host:port> publish    publishes a message; prints the response, or
//                                                 exits 1 with the gateway's error on stderr
//   node zeebe_client.js <host:port> decision   evaluates a decision; the same
//   node zeebe_client.js <host:port> scenario <file.bpmn> [<message.bpmn>]
//       deploys the file (a process "compat" with one service task of type "compat-task"),
//       starts 5 instances and one with result while a worker completes every job (n -> n * 2),
//       publishes a message; prints one JSON line with what each step returned. With a second
//       file (a process "compat-message": a message catch of "compat-paid" correlated by
//       orderId, then a service task of type "compat-after-message"), also starts an instance
//       whose message lives on another partition, publishes that message and waits for the
//       instance to reach its task.
'use strict';

const { ZBClient } = require('zeebe-node');

const address = process.argv[2];
const operation = process.argv[3] || 'topology';
if (!address || !['topology', 'publish', 'decision', 'scenario'].includes(operation)) {
  console.error('usage: node zeebe_client.js <host:port> [topology|publish|decision|scenario FILE]');
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
    } else if (operation === 'decision') {
      result = await zbc.evaluateDecision({ decisionId: 'compat', variables: {} });
    } else {
      result = await scenario(zbc, process.argv[4], process.argv[5]);
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await zbc.close();
  }
}

// Java's String.hashCode over UTF-16 code units, as the gateway routes messages.
function javaHash(text) {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

// Keys carry their partition in the upper 13 bits; zeebe-node hands keys over as strings.
function partitionOfKey(key) {
  return Number(BigInt(key) >> 51n);
}

async function correlateAcrossPartitions(zbc, file) {
  const partitions = (await zbc.topology()).partitionsCount;
  await zbc.deployResource({ processFilename: file });
  let reached;
  const taskReached = new Promise((resolve) => { reached = resolve; });
  zbc.createWorker({
    taskType: 'compat-after-message',
    taskHandler: (job) => {
      reached({ instance: job.processInstanceKey, amount: job.variables.amount });
      return job.complete();
    },
  });
  for (let i = 0; i < 20; i++) {
    const orderId = `order-${i}`;
    const instance = await zbc.createProcessInstance({
      bpmnProcessId: 'compat-message', variables: { orderId } });
    const instancePartition = partitionOfKey(instance.processInstanceKey);
    const messagePartition = Math.abs(javaHash(orderId) % partitions) + 1;
    if (instancePartition === messagePartition) continue;  // that one keeps waiting; try another
    const published = await zbc.publishMessage({
      name: 'compat-paid', correlationKey: orderId, variables: { amount: 42 }, timeToLive: 60000 });
    const job = await taskReached;
    return {
      instance: instance.processInstanceKey, instancePartition, messagePartition,
      messageKey: published.key, correlatedInstance: job.instance, amount: job.amount,
    };
  }
  throw new Error('no instance landed on another partition than its message');
}

async function scenario(zbc, file, messageFile) {
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
  if (messageFile) out.message = await correlateAcrossPartitions(zbc, messageFile);
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
