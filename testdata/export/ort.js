// The ONNX Runtime side of nettrain's export interop tests (pkg/export, cmd/nettrain):
//
//   ORT_NODE_DIR=DIR node ort.js MANIFEST
//
// DIR holds node_modules/onnxruntime-node (npm install --prefix DIR onnxruntime-node).
// MANIFEST is the JSON of interop.py; each case's "onnx" model runs on its "input" (float32
// little-endian, shape "shape") fed as "input". Prints one JSON object mapping each case's
// name to {"logits": [...]} (output "logits") or {"error": "..."}.
'use strict';
const fs = require('fs');
const path = require('path');

function loadORT() {
  const dir = process.env.ORT_NODE_DIR;
  if (!dir) throw new Error('ORT_NODE_DIR is not set');
  for (const p of [path.join(dir, 'node_modules', 'onnxruntime-node'), path.join(dir, 'onnxruntime-node')]) {
    if (fs.existsSync(p)) return require(p);
  }
  throw new Error('no onnxruntime-node under ' + dir);
}

async function main() {
  const ort = loadORT();
  const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')).cases;
  const out = {};
  for (const c of cases) {
    try {
      const buf = fs.readFileSync(c.input);
      const x = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      const session = await ort.InferenceSession.create(c.onnx, {intraOpNumThreads: 1, interOpNumThreads: 1});
      const res = await session.run({input: new ort.Tensor('float32', Float32Array.from(x), c.shape)});
      const y = res.logits;
      if (!y || y.dims.length !== 2 || y.dims[0] !== c.shape[0]) {
        throw new Error('output logits of dims ' + (y && y.dims) + ', want (' + c.shape[0] + ', classes)');
      }
      out[c.name] = {logits: Array.from(y.data)};
    } catch (e) {
      out[c.name] = {error: String(e && e.stack || e)};
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
