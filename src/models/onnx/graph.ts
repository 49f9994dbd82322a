/**
 * Just enough of an ONNX file's protobuf to check it is one and to see its
 * top-level graph (the nodes' operators and wiring, the graph's inputs and
 * outputs) without loading onnxruntime — and to expose a ZipMap's input
 * tensor as a graph output.
 *
 * Why the last: skl2onnx ends classifiers with ZipMap, whose output is a
 * sequence of {class: probability} maps, and onnxruntime-node returns only
 * tensors ("Non tensor type is temporarily not supported"). The ZipMap's
 * input is the same probabilities as an [n, classes] tensor; appending a
 * second `graph` field that lists it as an output makes protobuf merge it
 * into the graph (repeated fields of a message seen twice concatenate), so
 * the published bytes stay as they were and the session fetches the tensor.
 *
 * Field numbers are onnx.proto's: ModelProto.ir_version 1, graph 7,
 * opset_import 8; GraphProto.node 1, input 11, output 12; NodeProto.input 1,
 * output 2, op_type 4, domain 7; ValueInfoProto.name 1, type 2.
 */

export class NotOnnxError extends Error {
  constructor(why: string) {
    super(`not an ONNX model: ${why}`);
    this.name = 'NotOnnxError';
  }
}

export interface OnnxNode {
  readonly op: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface OnnxGraph {
  readonly irVersion: number;
  /** Operator set versions by domain ('' is ai.onnx). */
  readonly opsets: Readonly<Record<string, number>>;
  readonly nodes: readonly OnnxNode[];
  /** Graph input names (initializers included in older IR versions). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

interface Field {
  readonly field: number;
  /** Varints (wire type 0) as numbers; fixed-width fields are skipped. */
  readonly varint?: number;
  /** Length-delimited (wire type 2) contents. */
  readonly bytes?: Uint8Array;
}

function readVarint(buf: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at + i >= buf.length) throw new NotOnnxError('the protobuf ends inside a number');
    const byte = buf[at + i] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, at + i + 1];
  }
  throw new NotOnnxError('a protobuf number runs over 10 bytes');
}

/** The fields of one protobuf message, in order; throws NotOnnxError on anything malformed. */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const [key, afterKey] = readVarint(buf, at);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new NotOnnxError(`field number 0 at byte ${at}`);
    at = afterKey;
    if (wire === 0) {
      const [varint, next] = readVarint(buf, at);
      out.push({ field, varint });
      at = next;
    } else if (wire === 2) {
      const [length, start] = readVarint(buf, at);
      if (start + length > buf.length)
        throw new NotOnnxError(`field ${field} at byte ${at} claims ${length} bytes, past the end`);
      out.push({ field, bytes: buf.subarray(start, start + length) });
      at = start + length;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > buf.length) throw new NotOnnxError('the protobuf ends inside a fixed-width field');
    } else {
      throw new NotOnnxError(`wire type ${wire} at byte ${at} (not protobuf, or a group onnx.proto never uses)`);
    }
  }
  return out;
}

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const strings = (fs: readonly Field[], n: number) => fs.filter((f) => f.field === n && f.bytes).map((f) => text(f.bytes));
const first = (fs: readonly Field[], n: number) => fs.find((f) => f.field === n);

/** The model's top-level graph, read without onnxruntime. Throws NotOnnxError saying why when it is not an ONNX model. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  if (bytes.length === 0) throw new NotOnnxError('the file is empty');
  const model = fields(bytes);
  const irVersion = first(model, 1)?.varint;
  if (irVersion === undefined || irVersion < 1 || irVersion > 100)
    throw new NotOnnxError('no ir_version (field 1) a ModelProto starts with');
  const graphParts = model.filter((f) => f.field === 7 && f.bytes);
  if (graphParts.length === 0) throw new NotOnnxError('no graph (field 7)');
  const graph = graphParts.flatMap((g) => fields(g.bytes as Uint8Array));
  const opsets: Record<string, number> = {};
  for (const o of model.filter((f) => f.field === 8 && f.bytes)) {
    const opset = fields(o.bytes as Uint8Array);
    opsets[text(first(opset, 1)?.bytes)] = first(opset, 2)?.varint ?? 0;
  }
  const nodes = graph
    .filter((f) => f.field === 1 && f.bytes)
    .map((f): OnnxNode => {
      const node = fields(f.bytes as Uint8Array);
      return {
        op: text(first(node, 4)?.bytes),
        domain: text(first(node, 7)?.bytes),
        inputs: strings(node, 1),
        outputs: strings(node, 2),
      };
    });
  const names = (n: number) =>
    graph.filter((f) => f.field === n && f.bytes).map((f) => text(first(fields(f.bytes as Uint8Array), 1)?.bytes));
  const outputs = names(12);
  if (outputs.length === 0) throw new NotOnnxError('its graph has no outputs');
  return { irVersion, opsets, nodes, inputs: names(11), outputs };
}

/** The tensor a ZipMap turns into `output`, when `output` is a ZipMap's; else undefined. */
export function zipMapInput(graph: OnnxGraph, output: string): string | undefined {
  const node = graph.nodes.find((n) => n.outputs.includes(output));
  return node?.op === 'ZipMap' && node.domain === 'ai.onnx.ml' ? node.inputs[0] : undefined;
}

// ---- writing: one graph output appended -------------------------------------------------------

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const lengthDelimited = (field: number, body: readonly number[]): number[] => [(field << 3) | 2, ...varint(body.length), ...body];

/**
 * The model with `tensor` (a float tensor the graph computes) added to its outputs: a second
 * ModelProto.graph holding one GraphProto.output { name, type: tensor(float) }, which protobuf
 * parsers merge into the first.
 */
export function withFloatOutput(bytes: Uint8Array, tensor: string): Uint8Array {
  const name = [...new TextEncoder().encode(tensor)];
  const tensorType = lengthDelimited(1, [0x08, 1]); // TypeProto.tensor_type { elem_type: FLOAT }
  const valueInfo = [...lengthDelimited(1, name), ...lengthDelimited(2, tensorType)];
  const extra = Uint8Array.from(lengthDelimited(7, lengthDelimited(12, valueInfo)));
  const out = new Uint8Array(bytes.length + extra.length);
  out.set(bytes);
  out.set(extra, bytes.length);
  return out;
}
