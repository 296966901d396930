/** JSON Schema of a rule (draft 2020-12), served at GET /api/v1/rules/schema. Validation itself is rule-compile.ts, whose messages name the field. */
const target = { type: 'string', description: '"<devices>:<path>": a name, a pattern "lamp-*" or "tag:key=value"; placeholders {{value}} {{endpoint}} {{path}} {{timestamp}} {{time}} {{rule}} {{tags.KEY}}' };

export const RULE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'lwm2m-server rule',
  type: 'object',
  required: ['when', 'then'],
  additionalProperties: false,
  properties: {
    when: { type: 'string', description: '"<devices>:/oid/iid|*/rid|*" (reported values) or "registered:|deregistered:|expired:<devices>"' },
    if: { type: 'string', description: 'condition: value, previous, endpoint, path, == != < <= > >=, and/or/not, changed[(delta)], crosses(x, h), crosses_up, crosses_down, latest("ep:/path"); may end in "for 30s"' },
    for: { type: 'string', description: 'debounce: the condition holds this long ("30s", "5m")' },
    during: { type: 'string', pattern: '^\\d{1,2}:\\d{2}-\\d{1,2}:\\d{2}$' },
    timezone: { type: 'string', description: 'IANA time zone for "during" (default UTC)' },
    rate: { type: 'string', pattern: '^\\d+/(s|sec|m|min|h|d)$' },
    observe: { type: 'object', additionalProperties: { type: 'number' }, description: 'notification attributes set before observing (pmin, pmax, gt, lt, st, epmin, epmax)' },
    description: { type: 'string' },
    then: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: {
        oneOf: [
          { type: 'object', required: ['write', 'value'], additionalProperties: false, properties: { write: target, value: {} } },
          { type: 'object', required: ['execute'], additionalProperties: false, properties: { execute: target, args: { type: 'string' } } },
          { type: 'object', required: ['create'], additionalProperties: false, properties: { create: target, id: { type: 'integer', minimum: 0, maximum: 65534 }, resources: { type: 'object' } } },
          {
            type: 'object',
            required: ['webhook'],
            additionalProperties: false,
            properties: {
              webhook: { type: 'string', format: 'uri' },
              method: { enum: ['POST', 'PUT'] },
              headers: { type: 'object', additionalProperties: { type: 'string' } },
              body: {},
              retries: { type: 'integer', minimum: 0, maximum: 10 },
              timeoutMs: { type: 'integer', minimum: 100, maximum: 60000 },
            },
          },
        ],
      },
    },
  },
} as const;
