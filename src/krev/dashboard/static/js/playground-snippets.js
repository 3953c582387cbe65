// The playground's request written as code: a curl command and a krev_client (Python SDK) call
// that send exactly the body the form sends, so what a user tried here runs the same from a
// script. Pure functions of (kind, body, origin); the browser tests execute their output.

// How each kind is called: the path of its POST, the SDK method, the argument written first
// without its name (the method's first parameter), and what the result holds worth printing.
// Every other field is passed by its name, which is the body's.
export const CALLS = {
  image: { path: "/api/v1/images", method: "images.generate", first: "prompt", show: ["result.images"] },
  video: { path: "/api/v1/videos", method: "videos.generate", first: "prompt", show: ["result.video_url"] },
  ad: { path: "/api/v1/ads", method: "ads.generate", first: "brief", show: ["result.images", "result.ad_copy"] },
};

// A shell word in single quotes: everything literal, a quote closed, escaped and reopened.
export function shellQuote(text) {
  return `'${String(text).replaceAll("'", "'\\''")}'`;
}

export function curlOf(kind, body, origin) {
  const json = JSON.stringify(body, null, 2).replaceAll("\n", "\n  ");
  return [
    `curl -X POST ${origin}${CALLS[kind].path} \\`,
    '  -H "Authorization: Bearer $KREV_API_KEY" \\',
    '  -H "Content-Type: application/json" \\',
    `  -d ${shellQuote(json)}`,
  ].join("\n");
}

// A JSON value as a Python literal. A JSON string is a valid Python string literal once the
// two line separators Python would keep raw are escaped too.
export function pythonLiteral(value) {
  if (value === true) return "True";
  if (value === false) return "False";
  if (value === null || value === undefined) return "None";
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  if (typeof value === "string") {
    return JSON.stringify(value).replaceAll("\u2028", "\\u2028").replaceAll("\u2029", "\\u2029");
  }
  if (typeof value === "object") {
    const items = Object.entries(value).map(([k, v]) => `${pythonLiteral(k)}: ${pythonLiteral(v)}`);
    return `{${items.join(", ")}}`;
  }
  return String(value);
}

export function pythonOf(kind, body, origin) {
  const call = CALLS[kind];
  const args = [
    pythonLiteral(body[call.first] ?? ""),
    ...Object.entries(body)
      .filter(([name]) => name !== call.first)
      .map(([name, value]) => `${name}=${pythonLiteral(value)}`),
  ];
  return [
    "from krev_client import Krev",
    "",
    "# Krev() reads the key from KREV_API_KEY.",
    `client = Krev(base_url=${pythonLiteral(origin)})`,
    `result = client.${call.method}(`,
    ...args.map((arg) => `    ${arg},`),
    ")",
    ...call.show.map((what) => `print(${what})`),
  ].join("\n");
}
