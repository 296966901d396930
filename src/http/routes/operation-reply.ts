import type { FastifyReply } from 'fastify';
import { ERROR_CODES } from '../../errors.js';
import type { Submission } from '../../lwm2m/queue/dispatcher.js';

/**
 * How an operation's outcome maps to HTTP: 200 with the result when the device said yes; 202
 * with a request id when the request was queued for a sleeping device; otherwise the status of
 * the error code (404 unknown device, 502 device error, 504 timeout...), the body still being the
 * result, whose `error` has the stable code and whose `code` is the device's CoAP answer.
 */
export function sendSubmission(reply: FastifyReply, s: Submission): FastifyReply {
  if (s.queued) return reply.code(202).send({ queued: true, requestId: s.request.id, request: s.request });
  const r = s.result;
  if (r.ok) return reply.code(200).send(r);
  const status = r.error ? ERROR_CODES[r.error.code].http : 502;
  return reply.code(status).send(r);
}
