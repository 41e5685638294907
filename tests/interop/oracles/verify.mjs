// Independent HTTP Signature implementations as oracles for tests/interop/test_signature_oracles.py:
// they verify the requests Maillage signs, and sign requests that Maillage must accept.
//
//   node verify.mjs < cases.json > results.json      ({"cases": [...]} in, one result per case out)
//
// Libraries (exact versions in package-lock.json):
//   http-signature              joyent's node-http-signature (draft-cavage), as many Node servers use it
//   @peertube/http-signature    PeerTube's fork of it, with PeerTube's own options (server/core/initializers)
//   activitypub-http-signatures a small draft-cavage library for ActivityPub
//   fedify                      @fedify/fedify 1.10 `verifyRequest`/`signRequest`: draft-cavage and RFC 9421
//   fedify-inbox                a whole Fedify 1.10 Federation: its inbox handler verifies and routes the POST
//
// Cases:
//   {op: "verify", lib, method, url, headers, body: base64|null, publicKeyPem, keyDocument}
//       -> {ok, signature, digest, detail}   (digest: the Digest header checked with node:crypto, or null)
//   {op: "sign", lib, method, url, headers, body: base64|null, privateKeyPem, keyId, digest: "SHA-256"|"sha-256",
//    spec: "draft-cavage-http-signatures-12"|"rfc9421", hideAlgorithm}  -> {headers}
//   {op: "send", activity, inbox, recipient, privateKeyPem, keyId, keyDocument, firstKnock}
//       -> {attempts: [{spec, status}], error}   Fedify's own delivery (sendActivity, double-knocking)
// A library that cannot be loaded answers {unavailable: "<the error>"} for each of its cases.
import { createHash, webcrypto } from "node:crypto";

// Fedify >= 1.6 declares Node >= 22: its RFC 9421 code calls ArrayBuffer.prototype.transfer (ES2024,
// Node >= 21). Node 20 lacks only that; this is the standard behaviour, for the harness only.
if (typeof ArrayBuffer.prototype.transfer !== "function") {
  Object.defineProperty(ArrayBuffer.prototype, "transfer", {
    configurable: true,
    writable: true,
    value: function transfer(length = this.byteLength) {
      const moved = structuredClone(this, { transfer: [this] });
      if (length === moved.byteLength) return moved;
      const out = new ArrayBuffer(length);
      new Uint8Array(out).set(new Uint8Array(moved, 0, Math.min(length, moved.byteLength)));
      return out;
    },
  });
}

// Each library is loaded on first use (Fedify takes a second to load), once.
const SPECS = {
  "http-signature": "http-signature",
  "@peertube/http-signature": "@peertube/http-signature",
  "activitypub-http-signatures": "activitypub-http-signatures",
  fedify: "@fedify/fedify",
  "fedify-inbox": "@fedify/fedify",
};
const libs = {};
const unavailable = {};
const logs = []; // Fedify's debug log, so that a refusal says why

async function load(name) {
  const spec = SPECS[name];
  if (spec == null) return `unknown library ${name}`;
  if (libs[name] != null || unavailable[name] != null) return unavailable[name];
  try {
    const mod = await import(spec);
    libs[name] = name.endsWith("http-signature") ? mod.default : mod; // CommonJS modules
    if (spec === "@fedify/fedify" && libs.fedify == null) {
      libs.fedify = mod;
      const { configure } = await import("@logtape/logtape");
      await configure({
        sinks: { collect: (r) => logs.push(r.message.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join("")) },
        loggers: [
          { category: "fedify", sinks: ["collect"], lowestLevel: "debug" },
          { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
        ],
      });
    }
  } catch (error) {
    unavailable[name] = `cannot load ${spec}: ${error?.message ?? error}`;
  }
  return unavailable[name];
}

const lower = (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
const bodyOf = (c) => (c.body == null ? null : Buffer.from(c.body, "base64"));
const pathOf = (url) => { const u = new URL(url); return u.pathname + u.search; };
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("base64");

// Digest (RFC 3230, either spelling) or else Content-Digest (RFC 9530), sha-256, checked with node:crypto.
function digestMatches(headers, body) {
  if (body == null) return null;
  const { digest, "content-digest": contentDigest } = lower(headers);
  const value = digest ?? contentDigest?.replace(/=:([^:]*):/g, "=$1");
  if (value == null) return false;
  return value.split(",").some((part) => {
    const at = part.indexOf("=");
    return part.slice(0, at).trim().toLowerCase() === "sha-256" && part.slice(at + 1).trim() === sha256(body);
  });
}

// Serves the signer's actor document (and its key, by id with or without the fragment) offline;
// JSON-LD contexts come from the ones Fedify preloads.
function loaderFor(keyDocument) {
  const contexts = libs.fedify.getDocumentLoader({ allowPrivateAddress: true });
  return async (url) => {
    const bare = url.split("#")[0];
    if (keyDocument != null && (bare === keyDocument.id || url === keyDocument.publicKey?.id)) {
      return { contextUrl: null, document: keyDocument, documentUrl: url };
    }
    return contexts(url);
  };
}

async function importPrivate(pem) {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return await webcrypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["sign"]);
}

function requestOf(c) {
  const body = bodyOf(c);
  return new Request(c.url, { method: c.method, headers: c.headers, body: body ?? undefined });
}

async function verify(c) {
  const body = bodyOf(c);
  const digest = digestMatches(c.headers, body);
  let signature = false;
  let detail = "";
  logs.length = 0;
  if (c.lib === "http-signature" || c.lib === "@peertube/http-signature") {
    const peertube = c.lib === "@peertube/http-signature";
    // PeerTube: authorizationHeaderName "signature", clockSkew 1800, (request-target) host date [digest] required.
    const required = ["(request-target)", "host", "date", ...(body == null ? [] : ["digest"])];
    const request = { method: c.method, url: pathOf(c.url), headers: lower(c.headers), httpVersion: "1.1" };
    const parsed = libs[c.lib].parseRequest(request, {
      authorizationHeaderName: "signature", clockSkew: peertube ? 1800 : 300, headers: required,
    });
    signature = libs[c.lib].verifySignature(parsed, c.publicKeyPem);
    detail = parsed.signingString;
  } else if (c.lib === "activitypub-http-signatures") {
    const parsed = libs[c.lib].default.parse({ url: pathOf(c.url), method: c.method, headers: lower(c.headers) });
    signature = parsed.verify(c.publicKeyPem);
  } else if (c.lib === "fedify") {
    const key = await libs.fedify.verifyRequest(requestOf(c), {
      documentLoader: loaderFor(c.keyDocument), contextLoader: loaderFor(null),
    });
    signature = key != null && key.id?.href === (c.keyDocument.publicKey?.id ?? c.keyId);
    detail = logs.join("\n");
  } else if (c.lib === "fedify-inbox") {
    const status = await fedifyInbox(c);
    signature = status === 202;
    detail = `Fedify inbox answered ${status}\n${logs.join("\n")}`;
  } else {
    throw new Error(`unknown library ${c.lib}`);
  }
  return { ok: signature && digest !== false, signature, digest, detail };
}

async function fedifyInbox(c) {
  const { createFederation, MemoryKvStore, Person, Activity } = libs.fedify;
  const federation = createFederation({
    kv: new MemoryKvStore(),
    documentLoaderFactory: () => loaderFor(c.keyDocument),
    authenticatedDocumentLoaderFactory: () => loaderFor(c.keyDocument),
    contextLoaderFactory: () => loaderFor(null),
  });
  const keys = await libs.fedify.generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  federation
    .setActorDispatcher("/users/{identifier}", (ctx, identifier) =>
      new Person({ id: ctx.getActorUri(identifier), preferredUsername: identifier, inbox: ctx.getInboxUri(identifier) }))
    .setKeyPairsDispatcher(() => [keys]);
  federation.setInboxListeners("/users/{identifier}/inbox", "/inbox").on(Activity, () => {});
  const response = await federation.fetch(requestOf(c), { contextData: undefined });
  return response.status;
}

async function sign(c) {
  const body = bodyOf(c);
  const headers = { ...c.headers };
  if (body != null && c.lib !== "fedify") headers.Digest = `${c.digest ?? "SHA-256"}=${sha256(body)}`;
  if (c.lib === "http-signature" || c.lib === "@peertube/http-signature") {
    const url = new URL(c.url);
    const store = Object.fromEntries(Object.entries({ Host: url.host, ...headers }).map(([k, v]) => [k.toLowerCase(), [k, v]]));
    const request = {
      method: c.method, path: url.pathname + url.search,
      getHeader: (name) => store[name.toLowerCase()]?.[1],
      setHeader: (name, value) => { store[name.toLowerCase()] = [name, value]; },
    };
    // PeerTube's buildSignedRequestOptions: rsa-sha256, header "signature", (request-target) host date [digest].
    libs[c.lib].signRequest(request, {
      key: c.privateKeyPem, keyId: c.keyId, algorithm: "rsa-sha256", authorizationHeaderName: "Signature",
      headers: ["(request-target)", "host", "date", ...(body == null ? [] : ["digest"])],
      ...(c.hideAlgorithm ? { hideAlgorithm: true } : {}),
    });
    return { headers: Object.fromEntries(Object.values(store)) };
  }
  if (c.lib === "activitypub-http-signatures") {
    const signer = new libs[c.lib].Sha256Signer({ publicKeyId: c.keyId, privateKey: c.privateKeyPem });
    const lowered = lower(headers);
    return { headers: signer.generateHeaders({ url: c.url, method: c.method, headers: lowered }) };
  }
  if (c.lib === "fedify") {
    const signed = await libs.fedify.signRequest(requestOf({ ...c, headers }), await importPrivate(c.privateKeyPem),
      new URL(c.keyId), { spec: c.spec ?? "rfc9421" });
    return { headers: Object.fromEntries(signed.headers) };
  }
  throw new Error(`unknown library ${c.lib}`);
}

async function send(c) {
  const { createFederation, MemoryKvStore, Activity } = libs.fedify;
  const attempts = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const response = await realFetch(input, init);
    if (method === "POST") {
      attempts.push({ spec: headers.has("signature-input") ? "rfc9421" : "draft-cavage-http-signatures-12",
                      status: response.status });
    }
    return response;
  };
  try {
    const federation = createFederation({
      kv: new MemoryKvStore(), allowPrivateAddress: true, firstKnock: c.firstKnock ?? "rfc9421",
      documentLoaderFactory: () => loaderFor(c.keyDocument), contextLoaderFactory: () => loaderFor(null),
    });
    const ctx = federation.createContext(new URL(c.keyDocument.id), undefined);
    const activity = await Activity.fromJsonLd(c.activity, { documentLoader: loaderFor(c.keyDocument), contextLoader: loaderFor(null) });
    await ctx.sendActivity([{ keyId: new URL(c.keyId), privateKey: await importPrivate(c.privateKeyPem) }],
      { id: new URL(c.recipient), inboxId: new URL(c.inbox) }, activity, { immediate: true });
    return { attempts, error: null };
  } catch (error) {
    return { attempts, error: String(error?.message ?? error), log: logs.join("\n") };
  } finally {
    globalThis.fetch = realFetch;
  }
}

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.setEncoding("utf8").on("data", (chunk) => { text += chunk; }).on("end", () => resolve(text));
}));
const results = [];
for (const c of input.cases) {
  const missing = await load(c.op === "send" ? "fedify" : c.lib);
  if (missing) {
    results.push({ unavailable: missing });
    continue;
  }
  try {
    results.push(c.op === "verify" ? await verify(c) : c.op === "sign" ? await sign(c) : await send(c));
  } catch (error) {
    results.push({ ok: false, signature: false, error: String(error?.stack ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
