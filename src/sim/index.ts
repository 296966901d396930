/** The LwM2M client simulator: one device, or a fleet of them, on real sockets. */
export { SimulatedDevice } from './simulated-device.js';
export type { DeviceCounters, DeviceEvents, Lwm2mVersion, ReceivedRequest, SimulatedDeviceOptions } from './device-options.js';
export { Fleet, MAX_FLEET_SIZE, type FleetOptions } from './fleet.js';
export { DEFAULT_OBJECTS, type SimObjectSpec } from './default-objects.js';
export { ObjectTree, type ResourceSlot } from './object-tree.js';
export { AttributeStore } from './attributes.js';
export { startDrift } from './sensor-drift.js';
export type { ExecuteRecord } from './device-management.js';
export type { SimObservation } from './observations.js';
