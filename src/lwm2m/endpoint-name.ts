/**
 * Endpoint Client Names (LwM2M 1.1 Core §6.2.1; the `ep` parameter of Register and
 * Bootstrap-Request, Transport §6.4.1, §6.1.3): one rule for every place that takes one, so a
 * name the bootstrap server or an operator's provisioning accepts can also register. The
 * specification recommends URNs and sets no character set: any UTF-8 text of 1-256 bytes
 * without control characters, because names become store keys, log fields and URL segments.
 */
export const MAX_ENDPOINT_BYTES = 256;

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * What a name must be that this one is not ("must be at most 256 bytes", ...), for a message
 * that names the field first; undefined when it is a valid endpoint name.
 */
export function endpointNameProblem(name: string): string | undefined {
  if (name === '') return 'must be a non-empty string';
  if (Buffer.byteLength(name) > MAX_ENDPOINT_BYTES) return `must be at most ${MAX_ENDPOINT_BYTES} bytes`;
  if (CONTROL.test(name)) return 'must not contain control characters';
  return undefined;
}
