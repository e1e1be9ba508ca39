// Asks a gateway for its topology through the unmodified `zeebe-node` client and prints the
// answer as one JSON document on stdout. Usage: node zeebe_topology.js <host:port>
// The caller installs zeebe-node and points NODE_PATH at its node_modules.
'use strict';

const { ZBClient } = require('zeebe-node');

const address = process.argv[2];
if (!address) {
  console.error('usage: node zeebe_topology.js <host:port>');
  process.exit(2);
}

// A hung call must fail the test, not stall it until ctest's own timeout.
const guard = setTimeout(() => {
  console.error(`no topology from ${address} within 60s`);
  process.exit(3);
}, 60000);

async function main() {
  // Plaintext, no OAuth, no retries: a refusal must surface as an error at once.
  const zbc = new ZBClient(address, { useTLS: false, loglevel: 'NONE', retry: false });
  try {
    const topology = await zbc.topology();
    process.stdout.write(JSON.stringify(topology) + '\n');
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
    console.error(`topology call to ${address} failed: ${error && error.message ? error.message : error}`);
    process.exit(1);
  });
