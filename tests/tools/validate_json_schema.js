// Validates a JSON file against a JSON Schema (draft 2020-12) with ajv, from the cache that
// install_sarif_validator.sh fills.
//   node validate_json_schema.js CACHE_DIR SCHEMA FILE   exit 0 valid; 1 with the errors on stderr
'use strict';
const path = require('path');
const fs = require('fs');
const [cache, schemaFile, file] = process.argv.slice(2);
const Ajv2020 = require(path.join(cache, 'node_modules/ajv/dist/2020')).default;
const addFormats = require(path.join(cache, 'node_modules/ajv-formats')).default;
const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
const ajv = new Ajv2020({allErrors: true, strict: false});
addFormats(ajv);
const validate = ajv.compile(schema);
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
if (validate(doc)) process.exit(0);
for (const e of validate.errors) console.error(`${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`);
process.exit(1);
