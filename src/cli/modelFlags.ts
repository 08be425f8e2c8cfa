// The model flags of `mmea train | eval | propose | simulate | experiments`, and their help, generated
// from the models' option schemas (shared/models): a flag per option of any model, parsed by the
// option's type and checked by its model's schema.
import { DEFAULT_MODEL, MODEL_IDS, MODELS, type ModelId, type ModelOptions } from '../shared/models';
import { commonOptions } from '../shared/models/common';
import { optionFields, type OptionField } from '../shared/models/fields';

export class UsageError extends Error {}

type FlagSpec = { type: 'string' | 'boolean' };

/** parseArgs entries for `--model` and every model's option flags. */
export function modelFlagTable(): Record<string, FlagSpec> {
  const table: Record<string, FlagSpec> = { model: { type: 'string' } };
  for (const id of MODEL_IDS) {
    for (const f of optionFields(id)) {
      table[f.flag] = { type: f.kind === 'boolean' ? 'boolean' : 'string' };
      // Node 20's parseArgs has no negation: --no-<flag> turns off a switch that is on by default
      if (f.kind === 'boolean') table[`no-${f.flag}`] = { type: 'boolean' };
    }
  }
  return table;
}

function parseValue(f: OptionField, raw: string | boolean): unknown {
  if (f.kind === 'boolean') return raw;
  const text = String(raw);
  const number = (s: string) => {
    const x = s.trim() === '' ? NaN : Number(s);
    if (!Number.isFinite(x)) throw new UsageError(`--${f.flag}: not a number: ${s}`);
    return x;
  };
  if (f.kind === 'integer' || f.kind === 'number') return number(text);
  if (f.kind === 'choice') return text;
  const items = text.split(',').filter(Boolean);
  return f.item === 'integer' ? items.map(number) : items;
}

/**
 * The options the flags in `values` ask for, over `base` (a resumed run's or a checkpoint's options)
 * or the model's defaults. `--model` picks the model (a checkpoint's model cannot be changed); a flag
 * of another model, or a value its schema refuses, is a usage error naming the flag.
 */
export function modelOptionsFrom(values: Record<string, unknown>, base?: ModelOptions): ModelOptions {
  const asked = values.model as string | undefined;
  if (asked !== undefined && !(asked in MODELS)) throw new UsageError(`--model: unknown model ${asked} (${MODEL_IDS.join(', ')})`);
  if (base && asked !== undefined && asked !== base.model) throw new UsageError(`--model ${asked} conflicts with the saved run's model ${base.model}`);
  const id = (base?.model ?? asked ?? DEFAULT_MODEL) as ModelId;
  const own = new Map(optionFields(id).map((f) => [f.flag, f]));
  const given: Record<string, unknown> = {};
  const givenFlag = (f: OptionField) => values[f.flag] !== undefined || (f.kind === 'boolean' && values[`no-${f.flag}`] !== undefined);
  for (const other of MODEL_IDS) {
    for (const f of optionFields(other)) {
      if (!givenFlag(f) || own.has(f.flag)) continue;
      throw new UsageError(`--${f.flag} is an option of ${MODEL_IDS.filter((m) => optionFields(m).some((x) => x.flag === f.flag)).join(', ')}, not of ${id}`);
    }
  }
  for (const f of own.values()) {
    if (f.kind === 'boolean' && values[f.flag] !== undefined && values[`no-${f.flag}`] !== undefined) throw new UsageError(`--${f.flag} and --no-${f.flag} contradict each other`);
    if (f.kind === 'boolean' && values[`no-${f.flag}`] !== undefined) given[f.key] = !values[`no-${f.flag}`];
    else if (values[f.flag] !== undefined) given[f.key] = parseValue(f, values[f.flag] as string | boolean);
  }
  const parsed = MODELS[id].options.safeParse({ ...base, ...given });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const f = optionFields(id).find((x) => x.key === issue.path[0]);
    throw new UsageError(`--${f?.flag ?? String(issue.path[0])}: ${issue.message}`);
  }
  return { ...parsed.data, model: id } as ModelOptions;
}

function usageLine(f: OptionField): string {
  const arg = f.kind === 'boolean' ? '' : f.kind === 'choice' ? ` ${f.values!.join('|')}` : f.kind === 'list' ? ' LIST' : f.kind === 'integer' ? ' N' : ' X';
  const left = f.kind === 'boolean' && f.default === true ? `  --[no-]${f.flag}` : `  --${f.flag}${arg}`;
  const def = Array.isArray(f.default) ? f.default.join(',') || 'none' : String(f.default);
  return `${left.length < 30 ? left.padEnd(30) : `${left}\n${''.padEnd(30)}`} ${f.description} (${def})`;
}

/** The help of the model flags: the options every model shares (with the default model's
 *  defaults), then each model's own and the shared ones whose default is its own. */
export function modelFlagsHelp(): string {
  const common = new Map(optionFields(DEFAULT_MODEL).map((f) => [f.key, f]));
  for (const key of common.keys()) if (!(key in commonOptions.shape)) common.delete(key);
  const same = (f: OptionField) => JSON.stringify(f.default) === JSON.stringify(common.get(f.key)!.default);
  const lines = [
    `model options (\`mmea models\` lists the models; defaults are each reference's):`,
    `  --model ID`.padEnd(30) + ` ${MODEL_IDS.join(' | ')} (${DEFAULT_MODEL})`,
    ` every model (${DEFAULT_MODEL}'s defaults):`,
  ];
  for (const f of common.values()) lines.push(usageLine(f));
  for (const id of MODEL_IDS) {
    lines.push(` ${id} (${MODELS[id].title}):`);
    for (const f of optionFields(id)) if (!common.has(f.key) || !same(f)) lines.push(usageLine(f));
  }
  return lines.join('\n');
}

/** `mmea models [--json]`: every model, its paper, the modalities it fuses by default and its options. */
export function modelsCommand(argv: string[]): number {
  const json = argv.includes('--json');
  const unknown = argv.filter((a) => a !== '--json');
  if (unknown.length > 0) throw new UsageError(`models: unknown argument ${unknown[0]}`);
  const list = MODEL_IDS.map((id) => ({
    id,
    title: MODELS[id].title,
    paper: MODELS[id].paper,
    modalities: optionFields(id).find((f) => f.key === 'modalities')!.default as string[],
    options: optionFields(id),
  }));
  if (json) console.log(JSON.stringify(list));
  else {
    for (const m of list) {
      console.log(`${m.id}  ${m.title}: ${m.paper}\n  modalities: ${m.modalities.join(', ')}`);
      for (const f of m.options) console.log(usageLine(f));
    }
  }
  return 0;
}
