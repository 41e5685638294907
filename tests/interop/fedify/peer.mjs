// A Fedify (https://fedify.dev) server on loopback, used by tests/interop/test_fedify.py as an
// independent ActivityPub implementation that finds, follows and reads a Maillage node.
//
//   node peer.mjs PORT        (or PORT=... node peer.mjs)
//
// One actor, `peer`, at http://127.0.0.1:PORT/users/peer, with key pairs made at start as a
// deployed Fedify server (Hollo, Ghost) has them: RSA, which signs HTTP requests (draft-cavage)
// and Linked Data Signatures, and Ed25519, which signs Object Integrity Proofs (FEP-8b32).
// Fedify itself serves WebFinger, the actor, its inboxes and followers collection, and verifies
// the HTTP Signature of every incoming activity (verification is NOT disabled: a Maillage
// activity carries no proof, so Fedify accepts it only with a valid HTTP Signature). Only
// activities that reach an inbox listener, i.e. that Fedify has verified, are in `received`.
//
// Control endpoints (JSON) for the test:
//   POST /control/follow   {"handle": "@reseau@127.0.0.1:8080"}  look up by WebFinger, send a Follow
//   POST /control/unfollow {"actor": iri}  send Undo(Follow) for an earlier /control/follow
//   POST /control/post     {"content": "...", "inReplyTo": iri|null, "to": actor iri|null}
//                          send Create(Note) to the followers of `peer` and to `to`
//   GET  /control/received the verified activities: [{type, id, actor, object, objectType, ...}]
//   GET  /control/inbox-log every POST to an inbox with Fedify's answer (status), for diagnostics
//   GET  /control/fetch-log every GET of the actor with the key and owner Fedify verified (or null)
//   GET  /control/lookup?handle=...  Fedify's lookupObject on a handle or IRI, as JSON-LD
//   GET  /control/collection?iri=... every item of a collection, paged through by traverseCollection
//   GET  /control/state    followers of `peer` and actors `peer` follows
// Control lookups sign their GETs as `peer` (Fedify's authenticated document loader).
import { serve } from "@hono/node-server";
import {
  Accept,
  Activity,
  Collection,
  Create,
  Endpoints,
  Follow,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Undo,
  createFederation,
  generateCryptoKeyPair,
  isActor,
  MemoryKvStore,
} from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getConsoleSink } from "@logtape/logtape";
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

const PORT = Number(process.argv[2] ?? process.env.PORT);
if (!Number.isInteger(PORT) || PORT <= 0) {
  console.error("usage: node peer.mjs PORT");
  process.exit(2);
}
const ORIGIN = `http://127.0.0.1:${PORT}`;
const ME = "peer";

await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { console: getConsoleSink() },
  loggers: [
    { category: "fedify", sinks: ["console"], lowestLevel: process.env.FEDIFY_LOG ?? "info" },
    { category: ["logtape", "meta"], sinks: ["console"], lowestLevel: "warning" },
  ],
});

// Fedify looks up `acct:` handles over https only (WebFinger, RFC 7033). Nothing on loopback
// speaks TLS, so loopback https is routed to plain http here, in the harness; every other request
// (actors, objects, inbox deliveries) already uses the http IRIs the servers publish.
const realFetch = globalThis.fetch;
const LOOPBACK_HTTPS = /^https:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;
globalThis.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (!LOOPBACK_HTTPS.test(url)) return realFetch(input, init);
  const plain = url.replace(/^https:/, "http:");
  return realFetch(input instanceof Request ? new Request(plain, input) : plain, init);
};

const rsaPair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const ed25519Pair = await generateCryptoKeyPair("Ed25519");
const received = []; // activities Fedify verified and routed to a listener
const inboxLog = []; // every POST to an inbox: path, status, Fedify's answer
const fetchLog = []; // every GET of the actor: the key that signed it, as Fedify verified it, or null
const followers = new Map(); // actor IRI -> Actor (who follows `peer`)
const following = new Map(); // actor IRI -> {follow: Follow id, accepted: bool}
const notes = new Map(); // note IRI -> Note (served at its IRI)

const federation = createFederation({
  kv: new MemoryKvStore(),
  // No message queue: inbox listeners run and outgoing activities are sent during the request,
  // so a failed delivery is an error the control endpoint reports.
  origin: ORIGIN,
  allowPrivateAddress: true,
  userAgent: { software: "maillage-interop-fedify/1.0" },
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== ME) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify peer",
      summary: "An independent ActivityPub implementation (Fedify) for interop tests",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      publicKeys: keys.map((k) => k.cryptographicKey),
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  // Every GET of the actor document goes through Fedify's signature check (as for authorized fetch,
  // Mastodon's secure mode), and what Fedify verified is logged; the document is served either way,
  // since Fedify must fetch its own key without a signature to check one.
  .authorize((_ctx, identifier, signedKey, signedKeyOwner) => {
    fetchLog.push({ identifier, keyId: signedKey?.id?.href ?? null, owner: signedKeyOwner?.id?.href ?? null });
    return true;
  })
  .mapHandle((_ctx, username) => (username === ME ? ME : null))
  .setKeyPairsDispatcher((_ctx, identifier) => (identifier === ME ? [rsaPair, ed25519Pair] : []));

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== ME) return null;
    return { items: [...followers.values()] };
  })
  .setCounter((_ctx, identifier) => (identifier === ME ? followers.size : null));

federation.setObjectDispatcher(Note, "/notes/{id}", (ctx, { id }) =>
  notes.get(ctx.getObjectUri(Note, { id }).href) ?? null);

function newId(kind) {
  return new URL(`${ORIGIN}/${kind}/${randomUUID()}`);
}

async function record(ctx, activity) {
  let objectType = null;
  let objectName = null;
  let objectInReplyTo = null;
  try {
    // Embedded objects are read as they came; an object given by IRI is fetched by Fedify.
    const obj = await activity.getObject({ documentLoader: ctx.documentLoader });
    if (obj != null) {
      objectType = obj.constructor.name;
      objectName = obj.name?.toString() ?? null;
      objectInReplyTo = obj.replyTargetId?.href ?? null;
    }
  } catch (error) {
    objectType = `unreadable: ${error}`;
  }
  received.push({
    type: activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    objectType,
    objectName,
    objectInReplyTo,
    recipient: ctx.recipient, // null for the shared inbox
    json: await activity.toJsonLd({ contextLoader: ctx.contextLoader }),
  });
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.objectId?.href !== ctx.getActorUri(ME).href) return;
    const follower = await follow.getActor(ctx);
    if (follower == null || !isActor(follower) || follower.id == null) return;
    followers.set(follower.id.href, follower);
    await ctx.sendActivity(
      { identifier: ME },
      follower,
      new Accept({ id: newId("activities"), actor: ctx.getActorUri(ME), object: follow }),
    );
  })
  .on(Accept, async (ctx, accept) => {
    await record(ctx, accept);
    const follow = await accept.getObject(ctx);
    const mine = follow instanceof Follow ? following.get(accept.actorId?.href) : null;
    if (mine != null && follow.id?.href === mine.follow) mine.accepted = true;
  })
  .on(Undo, async (ctx, undo) => {
    await record(ctx, undo);
    const inner = await undo.getObject(ctx);
    if (inner instanceof Follow && undo.actorId != null) followers.delete(undo.actorId.href);
  })
  .on(Activity, record)
  .onError((_ctx, error) => {
    console.error("inbox listener error:", error);
  });

async function json(request) {
  try {
    return await request.json();
  } catch {
    return {};
  }
}

function reply(body, status = 200) {
  return Response.json(body, { status });
}

async function control(request, url) {
  const ctx = federation.createContext(new URL(ORIGIN), undefined);
  const signed = { documentLoader: await ctx.getDocumentLoader({ identifier: ME }) }; // fetches signed as `peer`
  const route = `${request.method} ${url.pathname}`;
  if (route === "GET /control/received") return reply(received);
  if (route === "GET /control/inbox-log") return reply(inboxLog);
  if (route === "GET /control/fetch-log") return reply(fetchLog);
  if (route === "GET /control/state") {
    return reply({ followers: [...followers.keys()], following: Object.fromEntries(following) });
  }
  if (route === "GET /control/lookup") {
    const handle = url.searchParams.get("handle");
    if (!handle) return reply({ error: "handle is required" }, 400);
    const obj = await ctx.lookupObject(handle, signed);
    if (obj == null) return reply({ error: `lookupObject(${handle}) returned null` }, 404);
    return reply({ type: obj.constructor.name, id: obj.id?.href ?? null, name: obj.name?.toString() ?? null,
                   jsonld: await obj.toJsonLd({ contextLoader: ctx.contextLoader }) });
  }
  if (route === "GET /control/collection") {
    const iri = url.searchParams.get("iri");
    if (!iri) return reply({ error: "iri is required" }, 400);
    const collection = await ctx.lookupObject(iri, signed);
    if (!(collection instanceof Collection)) {
      return reply({ error: `${iri} is not a collection: ${collection?.constructor.name ?? null}` }, 404);
    }
    const items = [];
    for await (const item of ctx.traverseCollection(collection, signed)) {
      items.push({ type: item.constructor.name, id: item.id?.href ?? item.href?.href ?? null,
                   object: item instanceof Activity ? item.objectId?.href ?? null : null });
    }
    return reply({ type: collection.constructor.name, totalItems: collection.totalItems ?? null, items });
  }
  if (route === "POST /control/follow") {
    const { handle } = await json(request);
    if (!handle) return reply({ error: "handle is required" }, 400);
    const target = await ctx.lookupObject(handle, signed);
    if (target == null || !isActor(target) || target.id == null) {
      return reply({ error: `${handle} did not resolve to an actor` }, 404);
    }
    const follow = new Follow({ id: newId("activities"), actor: ctx.getActorUri(ME), object: target.id });
    following.set(target.id.href, { follow: follow.id.href, accepted: false });
    await ctx.sendActivity({ identifier: ME }, target, follow);
    return reply({ actor: target.id.href, type: target.constructor.name, follow: follow.id.href });
  }
  if (route === "POST /control/unfollow") {
    const { actor } = await json(request);
    const mine = following.get(actor);
    if (mine == null) return reply({ error: `peer does not follow ${actor}` }, 404);
    const target = await ctx.lookupObject(actor, signed);
    if (target == null || !isActor(target)) return reply({ error: `${actor} is not an actor` }, 404);
    const undo = new Undo({
      id: newId("activities"),
      actor: ctx.getActorUri(ME),
      object: new Follow({ id: new URL(mine.follow), actor: ctx.getActorUri(ME), object: target.id }),
    });
    await ctx.sendActivity({ identifier: ME }, target, undo);
    following.delete(actor);
    return reply({ undo: undo.id.href });
  }
  if (route === "POST /control/post") {
    const { content, inReplyTo, to } = await json(request);
    if (!content) return reply({ error: "content is required" }, 400);
    const sender = ctx.getActorUri(ME);
    let target = null;
    if (to) {
      target = await ctx.lookupObject(to, signed);
      if (target == null || !isActor(target)) return reply({ error: `${to} is not an actor` }, 404);
    }
    const noteId = newId("notes");
    const note = new Note({
      id: noteId,
      attribution: sender,
      content,
      replyTarget: inReplyTo ? new URL(inReplyTo) : null,
      published: Temporal.Now.instant(),
      to: PUBLIC_COLLECTION,
      ccs: [ctx.getFollowersUri(ME), ...(target?.id ? [target.id] : [])],
    });
    notes.set(noteId.href, note);
    const create = new Create({
      id: new URL(`${noteId.href}#create`),
      actor: sender,
      object: note,
      to: PUBLIC_COLLECTION,
      ccs: note.ccIds,
      published: note.published,
    });
    if (followers.size > 0) await ctx.sendActivity({ identifier: ME }, "followers", create, { preferSharedInbox: true });
    if (target != null && !followers.has(target.id.href)) await ctx.sendActivity({ identifier: ME }, target, create);
    return reply({ note: noteId.href, create: create.id.href, followers: followers.size });
  }
  return reply({ error: `no control route ${route}` }, 404);
}

serve({
  hostname: "127.0.0.1",
  port: PORT,
  fetch: async (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/control/")) {
      try {
        return await control(request, url);
      } catch (error) {
        console.error(`${request.method} ${url.pathname} failed:`, error);
        return reply({ error: String(error?.message ?? error) }, 500); // the stack is in the log above
      }
    }
    const response = await federation.fetch(request, { contextData: undefined });
    if (request.method === "POST" && /\/inbox$/.test(url.pathname)) {
      const answer = await response.clone().text();
      inboxLog.push({ path: url.pathname, status: response.status, answer: answer.slice(0, 500),
                      signature: request.headers.get("signature") });
    }
    return response;
  },
}, () => console.log(`fedify peer listening on ${ORIGIN} (@${ME}@127.0.0.1:${PORT})`));
