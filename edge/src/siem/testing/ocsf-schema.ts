import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A validator for OCSF events compiled from the schema's own source files (ocsf/ocsf-schema at
 * the v1.8.0 release, vendored in tests/fixtures/ocsf/1.8.0): the same resolution the OCSF server
 * does, for the parts ceros emits.
 * - A class is its file's attributes over its `extends` chain up to base_event, each attribute's
 *   definition merged over the dictionary's; `$include` brings in a profile's attributes, tagged
 *   with the profile unless the including file says `profile: null`.
 * - An object is the same over its `extends` chain (`object` is the root).
 * - Enums merge along the chain (base_event's 0 Unknown and 99 Other stay valid in every class).
 * A validated event must: name only attributes its class or object defines (extras belong in
 * `unmapped`), carry every required one (a profile's only when `metadata.profiles` lists it), give
 * each the dictionary type (strings, integers, timestamps, arrays, nested objects, regexes), use
 * enum values the schema lists, honour `at_least_one`/`just_one`, and have class_uid = category
 * uid * 1000 + class uid and type_uid = class_uid * 100 + activity_id (OCSF schema FAQ).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

interface AttributeDef {
  name: string;
  type: string;
  isArray: boolean;
  requirement: 'required' | 'recommended' | 'optional';
  enumValues: Set<string> | null;
  profile: string | null;
}

interface Shape {
  name: string;
  attributes: Map<string, AttributeDef>;
  atLeastOne: string[][];
  justOne: string[][];
}

interface CompiledClass extends Shape {
  uid: number;
  categoryUid: number;
}

interface TypeDef {
  base: string;
  regex: RegExp | null;
  maxLen: number | null;
}

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const readJson = (path: string): Obj => JSON.parse(readFileSync(path, 'utf8')) as Obj;

export interface OcsfSchema {
  version: string;
  /** Every problem of one event, each with its path; empty when the event is valid. */
  validate(event: unknown): string[];
  /** The compiled class with this uid (class_uid), for tests that look at requirements. */
  classByUid(classUid: number): CompiledClass | undefined;
}

export function loadOcsfSchema(root: string): OcsfSchema {
  const version = String(readJson(join(root, 'version.json')).version);
  const dictionary = readJson(join(root, 'dictionary.json'));
  const dictAttrs = dictionary.attributes as Obj;
  const typeAttrs = (dictionary.types as Obj).attributes as Obj;
  const categories = (readJson(join(root, 'categories.json')).attributes ?? {}) as Obj;

  const eventFiles = new Map<string, Obj>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) {
        const file = readJson(path);
        eventFiles.set(String(file.name), file);
      }
    }
  };
  walk(join(root, 'events'));
  const objectFiles = new Map<string, Obj>();
  for (const name of readdirSync(join(root, 'objects'))) {
    if (!name.endsWith('.json')) continue;
    const file = readJson(join(root, 'objects', name));
    objectFiles.set(String(file.name), file);
  }

  const types = new Map<string, TypeDef>();
  const typeOf = (name: string): TypeDef => {
    const known = types.get(name);
    if (known) return known;
    const def = typeAttrs[name];
    if (!isObj(def)) return { base: name, regex: null, maxLen: null };
    const parent = typeof def.type === 'string' ? typeOf(def.type) : null;
    const resolved: TypeDef = {
      base: parent ? parent.base : name,
      regex: typeof def.regex === 'string' ? new RegExp(def.regex) : (parent?.regex ?? null),
      maxLen: typeof def.max_len === 'number' ? def.max_len : (parent?.maxLen ?? null),
    };
    types.set(name, resolved);
    return resolved;
  };

  /** Attribute definitions of one file, `$include`s first, each tagged with its profile. */
  const ownAttributes = (file: Obj): Map<string, { def: Obj; profile: string | null }> => {
    const out = new Map<string, { def: Obj; profile: string | null }>();
    const attrs = isObj(file.attributes) ? file.attributes : {};
    const includes = Array.isArray(attrs.$include) ? attrs.$include : [];
    for (const include of includes) {
      const included = readJson(join(root, String(include)));
      const profile = included.meta === 'profile' ? String(included.name) : null;
      for (const [name, def] of Object.entries(isObj(included.attributes) ? included.attributes : {}))
        if (isObj(def)) out.set(name, { def, profile });
    }
    for (const [name, def] of Object.entries(attrs)) {
      if (name === '$include' || !isObj(def)) continue;
      const prior = out.get(name);
      const profile =
        'profile' in def ? (def.profile === null ? null : String(def.profile)) : (prior?.profile ?? null);
      out.set(name, { def: { ...(prior?.def ?? {}), ...def }, profile });
    }
    return out;
  };

  const enumKeys = (def: Json | undefined): string[] =>
    isObj(def) && isObj(def.enum) ? Object.keys(def.enum) : [];

  const build = (chain: Obj[]): Shape => {
    // chain: root first; a child's definition of an attribute refines its parent's.
    const merged = new Map<string, { def: Obj; profile: string | null; enums: Set<string> }>();
    const atLeastOne: string[][] = [];
    const justOne: string[][] = [];
    for (const file of chain) {
      for (const [name, { def, profile }] of ownAttributes(file)) {
        const prior = merged.get(name);
        const enums = new Set([...(prior?.enums ?? []), ...enumKeys(def)]);
        merged.set(name, { def: { ...(prior?.def ?? {}), ...def }, profile, enums });
      }
      if (isObj(file.constraints)) {
        // A child's constraints replace its parent's (the OCSF server keeps the nearest).
        atLeastOne.length = 0;
        justOne.length = 0;
        if (Array.isArray(file.constraints.at_least_one))
          atLeastOne.push(file.constraints.at_least_one.map(String));
        if (Array.isArray(file.constraints.just_one)) justOne.push(file.constraints.just_one.map(String));
      }
    }
    const attributes = new Map<string, AttributeDef>();
    for (const [name, { def, profile, enums }] of merged) {
      const dict = dictAttrs[name];
      if (!isObj(dict)) throw new Error(`OCSF ${version}: attribute "${name}" is not in the dictionary`);
      for (const key of enumKeys(dict)) enums.add(key);
      const requirement = String(def.requirement ?? 'optional') as AttributeDef['requirement'];
      attributes.set(name, {
        name,
        type: String(def.type ?? dict.type),
        isArray: dict.is_array === true || def.is_array === true,
        requirement,
        enumValues: enums.size > 0 ? enums : null,
        profile,
      });
    }
    return { name: String(chain.at(-1)?.name), attributes, atLeastOne, justOne };
  };

  const chainOf = (files: Map<string, Obj>, name: string, root: string | null): Obj[] => {
    const chain: Obj[] = [];
    let current: string | undefined = name;
    while (current && current !== root) {
      const file = files.get(current);
      if (!file) throw new Error(`OCSF ${version}: no definition of "${current}"`);
      chain.unshift(file);
      current = typeof file.extends === 'string' ? file.extends : undefined;
    }
    return chain;
  };

  const objects = new Map<string, Shape>();
  const objectShape = (name: string): Shape | undefined => {
    // `object` is OCSF's free-form object (unmapped, xattributes): checked as object_t.
    if (name === 'object' || !objectFiles.has(name)) return undefined;
    let shape = objects.get(name);
    if (!shape) {
      shape = build(chainOf(objectFiles, name, 'object'));
      objects.set(name, shape);
    }
    return shape;
  };

  const classes = new Map<number, CompiledClass>();
  for (const [name, file] of eventFiles) {
    if (typeof file.uid !== 'number' && name !== 'base_event') continue;
    const chain = chainOf(eventFiles, name, null);
    const category = [...chain].reverse().find((f) => typeof f.category === 'string')?.category;
    const categoryDef = typeof category === 'string' ? categories[category] : undefined;
    const categoryUid = isObj(categoryDef) && typeof categoryDef.uid === 'number' ? categoryDef.uid : 0;
    const uid = typeof file.uid === 'number' ? file.uid : 0;
    const shape = build(chain);
    // The schema lists only base_event's values for these; every class has its own (checked below).
    for (const name of ['class_uid', 'category_uid', 'type_uid']) {
      const attr = shape.attributes.get(name);
      if (attr) attr.enumValues = null;
    }
    classes.set(categoryUid * 1000 + uid, { ...shape, uid, categoryUid });
  }

  const checkValue = (
    attr: AttributeDef,
    value: Json,
    path: string,
    profiles: Set<string>,
    problems: string[],
  ): void => {
    if (attr.isArray) {
      if (!Array.isArray(value)) {
        problems.push(`${path}: expected an array of ${attr.type}`);
        return;
      }
      value.forEach((item, i) => {
        checkScalar(attr, item, `${path}[${i}]`, profiles, problems);
      });
      return;
    }
    checkScalar(attr, value, path, profiles, problems);
  };

  const checkScalar = (
    attr: AttributeDef,
    value: Json,
    path: string,
    profiles: Set<string>,
    problems: string[],
  ): void => {
    const shape = objectShape(attr.type);
    if (shape) {
      if (!isObj(value)) problems.push(`${path}: expected object "${attr.type}"`);
      else checkShape(shape, value, path, profiles, problems);
      return;
    }
    const type = typeOf(attr.type === 'object' ? 'object_t' : attr.type);
    switch (type.base) {
      case 'string_t':
        if (typeof value !== 'string') problems.push(`${path}: expected a string (${attr.type})`);
        else {
          if (type.regex && !type.regex.test(value))
            problems.push(`${path}: "${value}" is not a valid ${attr.type}`);
          if (type.maxLen !== null && value.length > type.maxLen)
            problems.push(`${path}: longer than ${type.maxLen} characters`);
        }
        break;
      case 'integer_t':
      case 'long_t':
      case 'timestamp_t':
        if (typeof value !== 'number' || !Number.isInteger(value))
          problems.push(`${path}: expected an integer (${attr.type})`);
        break;
      case 'float_t':
        if (typeof value !== 'number') problems.push(`${path}: expected a number (${attr.type})`);
        break;
      case 'boolean_t':
        if (typeof value !== 'boolean') problems.push(`${path}: expected a boolean`);
        break;
      case 'json_t':
        break;
      case 'object_t':
        if (!isObj(value)) problems.push(`${path}: expected an object`);
        break;
      default:
        problems.push(`${path}: unknown type "${attr.type}"`);
    }
    if (attr.enumValues && (typeof value === 'number' || typeof value === 'string')) {
      if (!attr.enumValues.has(String(value)))
        problems.push(`${path}: ${value} is not one of its enum values`);
    }
  };

  const checkShape = (shape: Shape, value: Obj, path: string, profiles: Set<string>, problems: string[]) => {
    const at = (name: string) => (path ? `${path}.${name}` : name);
    for (const [name, v] of Object.entries(value)) {
      const attr = shape.attributes.get(name);
      if (!attr) {
        problems.push(`${at(name)}: not an attribute of "${shape.name}"`);
        continue;
      }
      if (attr.profile && !profiles.has(attr.profile))
        problems.push(
          `${at(name)}: belongs to profile "${attr.profile}", which metadata.profiles does not list`,
        );
      if (v === null) problems.push(`${at(name)}: null (leave the attribute out instead)`);
      else checkValue(attr, v, at(name), profiles, problems);
    }
    for (const attr of shape.attributes.values()) {
      if (attr.requirement !== 'required' || attr.name in value) continue;
      if (attr.profile && !profiles.has(attr.profile)) continue;
      problems.push(`${at(attr.name)}: required by "${shape.name}" but missing`);
    }
    for (const group of shape.atLeastOne)
      if (!group.some((name) => name in value))
        problems.push(`${path || 'event'}: "${shape.name}" needs at least one of ${group.join(', ')}`);
    for (const group of shape.justOne)
      if (group.filter((name) => name in value).length !== 1)
        problems.push(`${path || 'event'}: "${shape.name}" needs exactly one of ${group.join(', ')}`);
  };

  return {
    version,
    classByUid: (uid) => classes.get(uid),
    validate(event) {
      if (!isObj(event as Json)) return ['event: not an object'];
      const e = event as Obj;
      const classUid = typeof e.class_uid === 'number' ? e.class_uid : Number.NaN;
      const cls = classes.get(classUid);
      if (!cls) return [`class_uid: ${String(e.class_uid)} is not a class of OCSF ${version}`];
      const problems: string[] = [];
      const metadata = isObj(e.metadata) ? e.metadata : {};
      const profiles = new Set(Array.isArray(metadata.profiles) ? metadata.profiles.map(String) : []);
      for (const profile of profiles)
        if (![...cls.attributes.values()].some((a) => a.profile === profile))
          problems.push(`metadata.profiles: "${profile}" does not apply to "${cls.name}"`);
      if (metadata.version !== version) problems.push(`metadata.version: expected "${version}"`);
      checkShape(cls, e, '', profiles, problems);
      if (e.category_uid !== cls.categoryUid) problems.push(`category_uid: expected ${cls.categoryUid}`);
      if (typeof e.activity_id === 'number' && e.type_uid !== classUid * 100 + e.activity_id)
        problems.push(`type_uid: expected ${classUid * 100 + e.activity_id}`);
      return problems;
    },
  };
}
