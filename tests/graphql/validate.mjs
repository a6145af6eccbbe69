// Validates vouch's GraphQL documents against GitHub's published schema
// (@octokit/graphql-schema) with the reference implementation (graphql-js), and
// computes each document's node count the way GitHub documents its 500,000-node
// limit: every connection must ask for `first` or `last` between 1 and 100, and the
// nodes of a connection are its page size times the page sizes of the connections
// it is nested in.
//
// A document may come with `responses`: bodies a test's mock GitHub serves for it.
// Each must be an answer GitHub could give: every key is a field (or alias) the query
// selects on that object, so no test passes on a field the real API would not send.
//
// usage: node validate.mjs NODE_MODULES_DIR DOCUMENTS.json
//   DOCUMENTS.json: [{"name": "...", "query": "...", "responses": [{...}]}]
// prints one JSON object per document: {"name", "errors": [..], "nodes": N}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, documentsPath] = process.argv.slice(2);
const graphql = await import(pathToFileURL(join(modules, "graphql", "index.mjs")));
const { buildClientSchema, parse, validate, getNamedType, Kind } = graphql;
// The introspection result, not schema.graphql: GitHub's printed SDL repeats a few
// field definitions, which graphql-js rightly refuses to build.
const introspection = JSON.parse(
  readFileSync(join(modules, "@octokit", "graphql-schema", "schema.json"), "utf8"),
);
const schema = buildClientSchema(introspection);
const documents = JSON.parse(readFileSync(documentsPath, "utf8"));

for (const { name, query, responses = [] } of documents) {
  const errors = [];
  let nodes = 0;
  let ast;
  try {
    ast = parse(query);
  } catch (e) {
    console.log(JSON.stringify({ name, errors: [String(e.message)], nodes: 0 }));
    continue;
  }
  for (const e of validate(schema, ast)) errors.push(e.message);
  const fragments = new Map();
  for (const def of ast.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const pageSize = (field, path) => {
    const arg = (field.arguments || []).find((a) => a.name.value === "first" || a.name.value === "last");
    if (!arg) return null;
    if (arg.value.kind !== Kind.INT) {
      errors.push(`${path}: ${arg.name.value} must be a literal, so the node count is known`);
      return 100;
    }
    const n = Number(arg.value.value);
    if (n < 1 || n > 100) errors.push(`${path}: ${arg.name.value}: ${n} is outside 1..100`);
    return n;
  };
  const walk = (selectionSet, type, multiplier, path) => {
    for (const sel of selectionSet.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments.get(sel.name.value);
        if (frag) walk(frag.selectionSet, schema.getType(frag.typeCondition.name.value), multiplier, path);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        walk(sel.selectionSet, t, multiplier, path);
      } else if (sel.kind === Kind.FIELD) {
        const fieldName = sel.name.value;
        if (fieldName.startsWith("__")) continue;
        const def = type && type.getFields ? type.getFields()[fieldName] : undefined;
        if (!def) continue; // reported by validate()
        const named = getNamedType(def.type);
        const here = `${path}.${sel.alias ? sel.alias.value : fieldName}`;
        let m = multiplier;
        if (named.name.endsWith("Connection")) {
          const n = pageSize(sel, here);
          if (n === null) {
            errors.push(`${here}: a connection needs first or last`);
          } else {
            m = multiplier * n;
            nodes += m;
          }
        }
        if (sel.selectionSet) walk(sel.selectionSet, named, m, here);
      }
    }
  };
  for (const def of ast.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) {
      walk(def.selectionSet, schema.getQueryType(), 1, "query");
    }
  }
  responses.forEach((response, i) => {
    for (const op of ast.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
      checkResponse([op.selectionSet], schema.getQueryType(), response.data, `responses[${i}].data`);
    }
  });
  console.log(JSON.stringify({ name, errors, nodes }));

  // Which keys an object answering `selectionSet` on `type` may carry, and the
  // selections and type under each. For an abstract type every inline fragment
  // counts (the mock need not send __typename).
  function selected(selectionSet, type, out = new Map()) {
    for (const sel of selectionSet.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const frag = fragments.get(sel.name.value);
        if (frag) selected(frag.selectionSet, schema.getType(frag.typeCondition.name.value), out);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type;
        selected(sel.selectionSet, t, out);
      } else {
        const key = sel.alias ? sel.alias.value : sel.name.value;
        const def = type && type.getFields ? type.getFields()[sel.name.value] : undefined;
        const entry = out.get(key) || { sets: [], type: def ? getNamedType(def.type) : undefined };
        if (sel.selectionSet) entry.sets.push(sel.selectionSet);
        out.set(key, entry);
      }
    }
    return out;
  }

  function checkResponse(sets, type, value, path) {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => checkResponse(sets, type, v, `${path}[${i}]`));
      return;
    }
    if (typeof value !== "object") {
      errors.push(`${path}: an object was selected, the response has ${JSON.stringify(value)}`);
      return;
    }
    const allowed = new Map();
    for (const set of sets) selected(set, type, allowed);
    for (const [key, v] of Object.entries(value)) {
      const entry = allowed.get(key);
      if (!entry) {
        errors.push(`${path}.${key}: not selected by the query, so GitHub would not send it`);
        continue;
      }
      if (entry.sets.length > 0) checkResponse(entry.sets, entry.type, v, `${path}.${key}`);
    }
  }
}
