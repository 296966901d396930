import type { Command } from 'commander';
import type { DeviceJson } from '../../http/device-json.js';
import { apiCall, resolveTarget } from '../api-client.js';
import { pages } from './fleet.js';
import { withApiOptions, type ApiCommandOptions } from '../options.js';
import { printJson, printRecord, printTable } from '../output.js';

const enc = encodeURIComponent;

export function registerDeviceCommands(program: Command): void {
  withApiOptions(program.command('devices').description('list registered devices'))
    .option('--json', 'print JSON')
    .action(async (opts: ApiCommandOptions) => {
      // The list is paged (1,000 a page): follow the cursor to the end.
      const devices: DeviceJson[] = [];
      for await (const page of pages<DeviceJson>(await resolveTarget(opts), '/api/v1/devices', new URLSearchParams({ limit: '1000' }), 'devices')) devices.push(...page.items);
      if (opts.json) return printJson(devices);
      printTable(
        devices.map((d) => ({ endpoint: d.endpoint, id: d.registrationId, lwm2m: d.lwm2mVersion, binding: d.binding, address: d.address, lifetime: d.lifetime, expires: d.expiresAt })),
        ['endpoint', 'id', 'lwm2m', 'binding', 'address', 'lifetime', 'expires'],
      );
    });

  withApiOptions(program.command('device <endpoint>').description('show one registered device'))
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: ApiCommandOptions) => {
      const device = await apiCall<DeviceJson>(await resolveTarget(opts), 'GET', `/api/v1/devices/${enc(endpoint)}`);
      if (opts.json) return printJson(device);
      printRecord({ ...device, objects: device.objects.map((o) => (o.version ? `${o.path}@${o.version}` : o.path)).join(' ') });
    });

  withApiOptions(program.command('deregister <endpoint>').description('remove a device registration (operator-side de-register)'))
    .option('--json', 'print JSON')
    .action(async (endpoint: string, opts: ApiCommandOptions) => {
      const res = await apiCall<{ deregistered: DeviceJson }>(await resolveTarget(opts), 'DELETE', `/api/v1/devices/${enc(endpoint)}`);
      if (opts.json) return printJson(res);
      process.stdout.write(`deregistered ${res.deregistered.endpoint} (${res.deregistered.registrationId})\n`);
    });
}
