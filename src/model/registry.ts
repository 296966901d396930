/**
 * The object models the server knows: the OMA registry shipped in `objects/`, plus custom
 * objects loaded from a folder or added at run time. Codecs see it through ModelLookup.
 *
 * Version rule (see pickVersion): exact version; else same major, highest minor below;
 * else same major, lowest minor above; else the closest older version, else the closest
 * newer one. No version (or a malformed one) means the newest.
 */
import { collectModels, sourceFiles } from './model-files.js';
import { validateModel } from './model-json.js';
import { builtinObjectsDir } from './builtin-dir.js';
import type { ModelLookup, ObjectModel, ResourceModel } from './types.js';
import { compareVersions, parseVersion, pickVersion, type ParsedVersion } from './version.js';

interface Entry {
  model: ObjectModel;
  parsed: ParsedVersion;
  resources: ReadonlyMap<number, ResourceModel>;
}

/** Summary of one object for listings. */
export interface ObjectSummary {
  id: number;
  /** Name in the newest version. */
  name: string;
  /** Oldest first. */
  versions: string[];
}

export class ModelRegistry implements ModelLookup {
  /** Per object ID, entries sorted oldest version first. */
  #objects = new Map<number, Entry[]>();
  /** Fallback answers per "id@version", so a device on a version we lack costs one Map lookup. */
  #resolved = new Map<string, Entry | undefined>();

  /** Models from files or folders (recursively): `*.xml` DDF and `*.json` in our form. */
  static async fromDirectory(...sources: string[]): Promise<ModelRegistry> {
    const registry = new ModelRegistry();
    for (const source of sources) await registry.loadDirectory(source);
    return registry;
  }

  /** The OMA registry objects committed in the package's `objects/` folder. */
  static async builtin(): Promise<ModelRegistry> {
    return ModelRegistry.fromDirectory(builtinObjectsDir());
  }

  /**
   * Add every model found under `source` (a folder, walked recursively, or one file).
   * A model replaces one already held with the same ID and version. Returns the models added.
   */
  async loadDirectory(source: string): Promise<ObjectModel[]> {
    // Every file is read and checked before the first add, so a bad folder changes nothing.
    const { models } = await collectModels(await sourceFiles(source));
    for (const m of models) this.#insert(m);
    return models;
  }

  /** Add (or replace) one model, e.g. a custom object at run time. Returns the model it replaced. */
  add(model: ObjectModel): ObjectModel | undefined {
    return this.#insert(validateModel(model, `object ${String(model?.id)}`));
  }

  /** `model` must already be validated (validateModel returns a fresh canonical copy). */
  #insert(model: ObjectModel): ObjectModel | undefined {
    const checked = freezeModel(model);
    const parsed = parseVersion(checked.version)!;
    const entry: Entry = { model: checked, parsed, resources: new Map(checked.resources.map((r) => [r.id, r])) };
    const list = this.#objects.get(checked.id) ?? [];
    const at = list.findIndex((e) => compareVersions(e.parsed, parsed) >= 0);
    let replaced: ObjectModel | undefined;
    if (at === -1) list.push(entry);
    else if (compareVersions(list[at]!.parsed, parsed) === 0) {
      replaced = list[at]!.model;
      list[at] = entry;
    } else list.splice(at, 0, entry);
    this.#objects.set(checked.id, list);
    this.#resolved.clear();
    return replaced;
  }

  /** Remove one version of an object; returns it, or undefined when it was not held. */
  remove(objectId: number, version: string): ObjectModel | undefined {
    const list = this.#objects.get(objectId);
    const at = list?.findIndex((e) => e.model.version === version) ?? -1;
    if (list === undefined || at === -1) return undefined;
    const [gone] = list.splice(at, 1);
    this.#resolved.clear();
    if (list.length === 0) this.#objects.delete(objectId);
    return gone?.model;
  }

  object(objectId: number, version?: string): ObjectModel | undefined {
    return this.#entry(objectId, version)?.model;
  }

  resource(objectId: number, resourceId: number, version?: string): ResourceModel | undefined {
    return this.#entry(objectId, version)?.resources.get(resourceId);
  }

  /** True when exactly this version is held (object() may answer with a fallback). */
  has(objectId: number, version: string): boolean {
    return this.#objects.get(objectId)?.some((e) => e.model.version === version) ?? false;
  }

  /** Versions held for an object, oldest first. */
  versions(objectId: number): string[] {
    return (this.#objects.get(objectId) ?? []).map((e) => e.model.version);
  }

  /** Every object ID held, ascending. */
  ids(): number[] {
    return [...this.#objects.keys()].sort((a, b) => a - b);
  }

  /** Every model, by ID then version. */
  models(): ObjectModel[] {
    return this.ids().flatMap((id) => this.#objects.get(id)!.map((e) => e.model));
  }

  list(): ObjectSummary[] {
    return this.ids().map((id) => {
      const entries = this.#objects.get(id)!;
      return { id, name: entries[entries.length - 1]!.model.name, versions: entries.map((e) => e.model.version) };
    });
  }

  get size(): number {
    let n = 0;
    for (const list of this.#objects.values()) n += list.length;
    return n;
  }

  #entry(objectId: number, version: string | undefined): Entry | undefined {
    const list = this.#objects.get(objectId);
    if (list === undefined) return undefined;
    if (version === undefined) return list[list.length - 1];
    const exact = list.find((e) => e.model.version === version);
    if (exact !== undefined) return exact;
    const key = `${objectId}@${version}`;
    if (this.#resolved.has(key)) return this.#resolved.get(key);
    const picked = list[pickVersion(list.map((e) => e.parsed), parseVersion(version.trim()))];
    // Bounded: device-reported versions are few, but a hostile client could invent many.
    if (this.#resolved.size >= MAX_RESOLVED) this.#resolved.clear();
    this.#resolved.set(key, picked);
    return picked;
  }
}

const MAX_RESOLVED = 1024;

/** Models are shared with every codec call; freezing keeps one caller from changing another's. */
function freezeModel(model: ObjectModel): ObjectModel {
  for (const r of model.resources) Object.freeze(r);
  Object.freeze(model.resources);
  return Object.freeze(model);
}
