// A CommonJS module in both builds (a .cts file always compiles to .cjs), so
// that the ESM build loads the JSON with require: Node 20's ESM would need an
// import attribute, which the CommonJS build cannot emit, and which prints an
// ExperimentalWarning there. tsc copies the imported JSON next to each build.
import data = require('./fixtures.json');

export = data;
