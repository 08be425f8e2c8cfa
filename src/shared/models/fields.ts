// The options of a model as a flat list of fields (from its zod schema's JSON Schema): what the CLI's
// flags and help and the app's settings form are generated from.
import { z } from 'zod';
import { MODELS, type ModelId } from './index';

export interface OptionField {
  key: string;
  /** the CLI flag, without dashes: the meta `flag`, else the key in kebab case */
  flag: string;
  kind: 'integer' | 'number' | 'boolean' | 'choice' | 'list';
  /** choice and list of choices: the allowed values */
  values?: string[];
  /** list: what its items are */
  item?: 'integer' | 'choice';
  default: unknown;
  description: string;
  min?: number;
  max?: number;
}

interface JsonProp {
  type?: string;
  enum?: string[];
  items?: JsonProp;
  default?: unknown;
  description?: string;
  flag?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function fieldOf(key: string, p: JsonProp): OptionField {
  const base = { key, flag: p.flag ?? kebab(key), default: p.default, description: p.description ?? '' };
  const bounds = { ...(p.minimum !== undefined && { min: p.minimum }), ...(p.exclusiveMinimum !== undefined && { min: p.exclusiveMinimum }), ...(p.maximum !== undefined && { max: p.maximum }) };
  if (p.enum) return { ...base, kind: 'choice', values: p.enum };
  if (p.type === 'array')
    return {
      ...base,
      kind: 'list',
      ...(p.items?.enum
        ? { item: 'choice', values: p.items.enum }
        : { item: 'integer', ...(p.items?.minimum !== undefined && { min: p.items.minimum }), ...(p.items?.maximum !== undefined && { max: p.items.maximum }) }),
    };
  if (p.type === 'boolean') return { ...base, kind: 'boolean' };
  if (p.type === 'integer') return { ...base, kind: 'integer', ...bounds };
  if (p.type === 'number') return { ...base, kind: 'number', ...bounds };
  throw new Error(`option ${key}: no field for JSON type ${p.type}`);
}

const cache = new Map<ModelId, OptionField[]>();

/** The option fields of model `id`, in declaration order. */
export function optionFields(id: ModelId): OptionField[] {
  let fields = cache.get(id);
  if (!fields) {
    const json = z.toJSONSchema(MODELS[id].options, { io: 'input' }) as { properties: Record<string, JsonProp> };
    fields = Object.entries(json.properties).map(([k, p]) => fieldOf(k, p));
    cache.set(id, fields);
  }
  return fields;
}
