// Validate GLB files with the Khronos glTF validator; print one JSON report summary per file.
// Usage: node scripts/gltf_validate.mjs file.glb [...]   (exit 1 when any file has errors)
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(new URL("../web/package.json", import.meta.url));
const validator = require("gltf-validator");

let failed = false;
for (const path of process.argv.slice(2)) {
  const data = new Uint8Array(await readFile(path));
  const report = await validator.validateBytes(data, {
    uri: path,
    maxIssues: 50,
    externalResourceFunction: () => Promise.reject(new Error("external resources are not allowed")),
  });
  const { numErrors, numWarnings, numInfos, numHints, messages } = report.issues;
  failed ||= numErrors > 0;
  console.log(JSON.stringify({ file: path, numErrors, numWarnings, numInfos, numHints,
    errors: messages.filter((m) => m.severity === 0).slice(0, 10) }));
}
process.exit(failed ? 1 : 0);
