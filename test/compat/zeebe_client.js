// Drives a gateway through the unmodified `zeebe-node` client. The caller installs zeebe-node and
// points NODE_PATH at its node_modules.
//   node zeebe_client.js <host:port>            prints `await zbc.topology()` as one JSON line
//   node zeebe_client.js <host:port> publish    publishes a message; prints the response, or
//                                                 exits 1 with the gateway's error on stderr
'use strict';

const { ZBClient } = require('zeebe-node');

const address = process.argv[2];
const operation = process.argv[3] || 'topology';
if (!address || !['topology', 'publish'].includes(operation)) {
  console.error('usage: node zeebe_client.js <host:port> [topology|publish]');
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
    const result = operation === 'topology'
        ? await zbc.topology()
        : await zbc.publishMessage({ name: 'compat', correlationKey: 'k', variables: {} });
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await zbc.close();
  }
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
