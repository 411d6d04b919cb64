// Validates xAPI statements with Learning Locker's validator (@learninglocker/xapi-validation).
// Reads a JSON array of statements on stdin; prints a JSON array with, per statement, its errors
// ([] when valid) as {path, type}. Used by tests/scorm_export/xapi_validator.py.
const validate = require("@learninglocker/xapi-validation").default;

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const statements = JSON.parse(input);
  const report = statements.map((statement) =>
    validate(statement).map((warning) => ({
      path: warning.path.join("."),
      type: warning.typeName || warning.name || "error",
      message: warning.message,
    }))
  );
  process.stdout.write(JSON.stringify(report));
});
