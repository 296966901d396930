import type { ObjectModel } from '../../../src/model/types.js';
import { sharedModels, type TestServer } from '../../helpers/management.js';

/** A custom object with an opaque and a string resource (for octet-stream and block-wise tests). */
export const BLOB_OBJECT = 32_769;

export const BLOB_MODEL: ObjectModel = {
  id: BLOB_OBJECT,
  name: 'Blob',
  version: '1.0',
  lwm2mVersion: '1.1',
  multiple: true,
  mandatory: false,
  resources: [
    { id: 0, name: 'Data', operations: 'RW', multiple: false, mandatory: true, type: 'opaque' },
    { id: 1, name: 'Text', operations: 'RW', multiple: false, mandatory: false, type: 'string' },
  ],
};

/** Adds the Blob model to the server's registry and to the simulator's. */
export async function blobModel(s: TestServer): Promise<void> {
  s.server.models.add(BLOB_MODEL);
  (await sharedModels()).add(BLOB_MODEL);
}
