import { main } from './main.js';

// Entry point: `node dist/src/cli/bin.js ...` (bin/lwm2m loads it).
void main(process.argv);
