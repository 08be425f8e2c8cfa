// Image vectors computed from image files with an offline tfjs image model (issue 3): the default is
// the MobileNetV2 that ships inside the nsfwjs package (no download), cut at its penultimate layer
// `flatten_1` (1280-d at 224 px); its backbone is fine-tuned on a 5-class task but still gives
// generic features (environment.md). Any tfjs layers or graph model can be given instead, by the path
// of its model.json (weights in the shard files beside it), with the layer or node to read out.
// Images are decoded and resized with sharp (any format it reads), scaled to the model's input range.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { tf } from '../runtime/tf';

export interface EncoderSpec {
  /** 'mobilenet' (bundled) or the path of a tfjs model.json */
  model: string;
  /** layer (layers model) or output node (graph model) to read; default: the bundled model's flatten_1, else the model's output */
  layer?: string;
  /** square input size in pixels (default 224) */
  size?: number;
  /** pixel scaling: [0, 1] (default), [−1, 1] or [0, 255] */
  range?: '0-1' | '-1-1' | '0-255';
}

export interface ImageEncoder {
  readonly name: string;
  readonly size: number;
  /** batch × size × size × 3 floats in the model's range → batch × dims */
  encode(batch: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

type Artifacts = tf.io.ModelArtifacts & { format?: string };

/** The bundled MobileNetV2's artifacts, from the JavaScript modules nsfwjs ships them in (base64 weights). */
async function bundledMobileNet(): Promise<Artifacts> {
  const entry = (await import('nsfwjs/models/mobilenet_v2')) as unknown as {
    MobileNetV2Model: { modelJson(): Promise<{ default: Record<string, unknown> }>; weightBundles: (() => Promise<{ default: string }>)[] };
  };
  const def = entry.MobileNetV2Model;
  const json = (await def.modelJson()).default as { modelTopology: object; format?: string; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const shards = await Promise.all(def.weightBundles.map(async (b) => Buffer.from((await b()).default, 'base64')));
  return { modelTopology: json.modelTopology, format: json.format, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: concat(shards) };
}

/** A model.json and its weight shards from disk (tfjs's own file loading needs tfjs-node). */
async function fromDisk(file: string): Promise<Artifacts> {
  const json = JSON.parse(await readFile(file, 'utf8')) as { modelTopology: object; format?: string; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  if (!json.modelTopology) throw new Error(`${file}: not a tfjs model.json (no modelTopology)`);
  const groups = json.weightsManifest ?? [];
  const shards = await Promise.all(groups.flatMap((g) => g.paths.map((p) => readFile(join(dirname(file), p)))));
  return { modelTopology: json.modelTopology, format: json.format, weightSpecs: groups.flatMap((g) => g.weights), weightData: concat(shards) };
}

/** The shards as one ArrayBuffer of its own (a small Buffer.concat result may share Node's pool). */
const concat = (parts: Uint8Array[]): ArrayBuffer => new Uint8Array(Buffer.concat(parts)).buffer;

export async function loadEncoder(spec: EncoderSpec): Promise<ImageEncoder> {
  const bundled = spec.model === 'mobilenet';
  const artifacts = bundled ? await bundledMobileNet() : await fromDisk(spec.model);
  const size = spec.size ?? 224;
  const layer = spec.layer ?? (bundled ? 'flatten_1' : undefined);
  const name = bundled ? `nsfwjs MobileNetV2 ${layer} @${size}px` : `${spec.model}${layer ? ` ${layer}` : ''} @${size}px`;
  const handler = tf.io.fromMemory(artifacts);
  if (artifacts.format === 'graph-model') {
    const g = await tf.loadGraphModel(handler);
    return {
      name,
      size,
      encode: (x) => tf.tidy(() => flat(layer ? (g.execute(x, layer) as tf.Tensor) : (g.predict(x) as tf.Tensor))),
      dispose: () => g.dispose(),
    };
  }
  const m = await tf.loadLayersModel(handler);
  let out: tf.LayersModel = m;
  if (layer) {
    const l = m.layers.find((x) => x.name === layer);
    if (!l)
      throw new Error(
        `${spec.model}: no layer ${layer} (layers: ${m.layers
          .slice(-8)
          .map((x) => x.name)
          .join(', ')}, …)`,
      );
    out = tf.model({ inputs: m.inputs, outputs: l.output as tf.SymbolicTensor });
  }
  return { name, size, encode: (x) => tf.tidy(() => flat(out.predict(x) as tf.Tensor)), dispose: () => m.dispose() };
}

function flat(t: tf.Tensor): tf.Tensor2D {
  return tf.reshape(t, [t.shape[0]!, -1]) as tf.Tensor2D;
}

/** One image file as size × size RGB floats in `range` (sharp: any format it reads, alpha dropped). */
export async function decodeImage(file: string, size: number, range: EncoderSpec['range'] = '0-1'): Promise<Float32Array> {
  const raw = await sharp(file).rotate().resize(size, size, { fit: 'fill' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  if (raw.length !== size * size * 3) throw new Error(`decoded to ${raw.length} bytes, expected ${size * size * 3}`);
  const out = new Float32Array(raw.length);
  const [scale, shift] = range === '-1-1' ? [2 / 255, -1] : range === '0-255' ? [1, 0] : [1 / 255, 0];
  for (let i = 0; i < raw.length; i++) out[i] = raw[i]! * scale + shift;
  return out;
}
