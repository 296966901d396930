/**
 * OMA DDF XML (the registry's object definitions, both the LwM2M 1.0 editor schema
 * `LWM2M.xsd` and `LWM2M-v1_1.xsd`) to ObjectModel. Facts only: descriptions are dropped.
 * Other XML files found beside the definitions (the `DDF.xml` registry index, `Common.xml`
 * reusable resources, `LWM2M_senml_units.xml`) are recognised and reported as such.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Lwm2mError } from '../errors.js';
import { validateModel } from './model-json.js';
import type { ObjectModel, Operations, ResourceModel, ResourceType } from './types.js';
import { isVersion } from './version.js';

export type DdfContent =
  | { kind: 'objects'; models: ObjectModel[] }
  | { kind: 'other'; what: string };

/** The registry's largest file is ~250 kB; anything far bigger is not a DDF. */
export const MAX_DDF_CHARS = 8 * 1024 * 1024;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // Ranges are written with numeric references, e.g. "&#60;7 to &#62;12.5" in 10308.
  htmlEntities: true,
  isArray: (name) => name === 'Object' || name === 'Item',
});

/** `version_history/3-1_0.xml` -> object 3 version "1.0": old files carry it only in the name. */
const HISTORY_NAME_RE = /(?:^|[\\/])(\d+)-(\d+)_(\d+)\.xml$/i;

/** Parse one DDF XML text. `file` names the source in errors and may carry the version. */
export function parseDdfXml(text: string, file: string): DdfContent {
  if (text.length > MAX_DDF_CHARS) throw ddfError(file, `too large (${text.length} characters)`);
  const xml = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // DDFs never declare a DTD; refusing one rules out entity-expansion and external-entity tricks.
  if (/<!DOCTYPE/i.test(xml)) throw ddfError(file, 'a DOCTYPE is not allowed in a DDF');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw ddfError(file, `not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (e) {
    throw new Lwm2mError('LWM2M_ERR_MODEL', `${file}: cannot parse XML: ${(e as Error).message}`, { cause: e });
  }
  const root = asNode(doc);
  if (root === undefined) throw ddfError(file, 'empty document');
  if ('DDFList' in root) return { kind: 'other', what: 'registry index (DDFList)' };
  if ('units' in root) return { kind: 'other', what: 'SenML units list' };
  const lwm2m = root['LWM2M'];
  if (lwm2m === undefined) {
    const top = Object.keys(root).filter((k) => !k.startsWith('?')).join(', ') || 'none';
    throw ddfError(file, `root element must be <LWM2M>, found ${top}`);
  }
  const objects = asNode(lwm2m)?.['Object'];
  if (!Array.isArray(objects) || objects.length === 0) throw ddfError(file, '<LWM2M> holds no <Object>');
  const definitions = objects.map(asNode).filter((o) => o?.['@_ObjectType'] !== 'CommonResources');
  if (definitions.length === 0) return { kind: 'other', what: 'reusable resources (CommonResources)' };
  const hint = HISTORY_NAME_RE.exec(file);
  return {
    kind: 'objects',
    models: definitions.map((o, i) => objectModel(o, `${file}: <Object> #${i + 1}`, hint)),
  };
}

type Node = Record<string, unknown>;

function asNode(v: unknown): Node | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : undefined;
}

function ddfError(where: string, problem: string): Lwm2mError {
  return new Lwm2mError('LWM2M_ERR_MODEL', `${where}: ${problem}`);
}

function objectModel(node: Node | undefined, where: string, hint: RegExpExecArray | null): ObjectModel {
  if (node === undefined) throw ddfError(where, 'is empty');
  const id = intText(node, 'ObjectID', where);
  const at = `${where.replace(/<Object> #\d+$/, '')}object ${id}`;
  const fromName = hint !== null && Number(hint[1]) === id ? `${Number(hint[2])}.${Number(hint[3])}` : undefined;
  const head = {
    id,
    name: requiredText(node, 'Name', at),
    version: versionText(node, 'ObjectVersion', at) ?? fromName ?? '1.0',
    lwm2mVersion: versionText(node, 'LWM2MVersion', at) ?? '1.0',
    urn: optionalText(node, 'ObjectURN', at),
    multiple: choice(node, 'MultipleInstances', at, 'Multiple', 'Single'),
    mandatory: choice(node, 'Mandatory', at, 'Mandatory', 'Optional'),
  };
  // `<Resources/>` (no items) parses as an empty string: an object without resources.
  const resourcesNode = node['Resources'] === '' ? {} : asNode(node['Resources']);
  const items = resourcesNode?.['Item'] ?? [];
  if (resourcesNode === undefined || !Array.isArray(items)) throw ddfError(at, 'has no <Resources>');
  const model: ObjectModel = { ...head, resources: items.map((item: unknown) => resourceModel(asNode(item), at)) };
  // Same checks as a JSON file (duplicate resource IDs, ID ranges): one definition of valid.
  return validateModel(model, at);
}

function resourceModel(node: Node | undefined, where: string): ResourceModel {
  if (node === undefined) throw ddfError(where, 'has an empty <Item>');
  const idText = node['@_ID'];
  if (typeof idText !== 'string' || !/^\d{1,5}$/.test(idText.trim())) {
    throw ddfError(where, `has an <Item> without a numeric ID attribute`);
  }
  const id = Number(idText.trim());
  const at = `${where} resource ${id}`;
  return {
    id,
    name: requiredText(node, 'Name', at),
    operations: operations(node, at),
    multiple: choice(node, 'MultipleInstances', at, 'Multiple', 'Single'),
    mandatory: choice(node, 'Mandatory', at, 'Mandatory', 'Optional'),
    type: resourceType(node, at),
    range: optionalText(node, 'RangeEnumeration', at),
    units: optionalText(node, 'Units', at),
  };
}

/** Text of a leaf element; undefined when absent. An element with child elements is an error. */
function text(node: Node, key: string, where: string): string | undefined {
  const v = node[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v.replace(/\s+/g, ' ').trim();
  throw ddfError(where, `<${key}> must hold text only`);
}

function requiredText(node: Node, key: string, where: string): string {
  const v = text(node, key, where);
  if (v === undefined || v === '') throw ddfError(where, `<${key}> is missing or empty`);
  return v;
}

function optionalText(node: Node, key: string, where: string): string | undefined {
  const v = text(node, key, where);
  return v === '' ? undefined : v;
}

function intText(node: Node, key: string, where: string): number {
  const v = requiredText(node, key, where);
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw ddfError(where, `<${key}> must be an integer 0..65535, got "${v}"`);
  return Number(v);
}

/** Undefined when absent or empty (old files omit it; 4-1_1.xml has an empty <LWM2MVersion>). */
function versionText(node: Node, key: string, where: string): string | undefined {
  const v = optionalText(node, key, where);
  if (v === undefined) return undefined;
  if (!isVersion(v)) throw ddfError(where, `<${key}> must look like "1.0", got "${v}"`);
  return v;
}

function choice(node: Node, key: string, where: string, yes: string, no: string): boolean {
  const v = requiredText(node, key, where).toLowerCase();
  if (v === yes.toLowerCase()) return true;
  if (v === no.toLowerCase()) return false;
  throw ddfError(where, `<${key}> must be "${yes}" or "${no}", got "${v}"`);
}

function operations(node: Node, where: string): Operations {
  const v = (text(node, 'Operations', where) ?? '').toUpperCase().replace(/\s/g, '');
  // Object-level items and some reusable resources have no operations at all.
  if (v === '' || v === 'NONE') return '';
  if (v === 'R' || v === 'W' || v === 'E') return v;
  if (v === 'RW' || v === 'WR') return 'RW';
  throw ddfError(where, `<Operations> must be R, W, RW or E, got "${v}"`);
}

const TYPE_NAMES: ReadonlyMap<string, ResourceType> = new Map([
  ['string', 'string'],
  ['integer', 'integer'],
  ['unsigned integer', 'unsigned'],
  ['unsigned', 'unsigned'],
  ['float', 'float'],
  ['boolean', 'boolean'],
  ['opaque', 'opaque'],
  ['time', 'time'],
  ['objlnk', 'objlnk'],
  ['corelnk', 'corelnk'],
  ['none', 'none'],
]);

/** Executable resources have an empty <Type>, which the model calls 'none'. */
function resourceType(node: Node, where: string): ResourceType {
  const raw = text(node, 'Type', where) ?? '';
  if (raw === '') return 'none';
  const t = TYPE_NAMES.get(raw.toLowerCase());
  if (t === undefined) throw ddfError(where, `<Type> "${raw}" is not a LwM2M data type`);
  return t;
}
