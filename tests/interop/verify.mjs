// An independent verifier for the service's W3C credentials (npm `jose` and `jsonld`, Node's zlib).
// Reads {"credential": vc+jwt, "status_list": vc+jwt, "did_document": {...}, "contexts": {url: doc}}
// on stdin; prints {"ok": bool, "revoked": bool, "errors": [...], ...} as JSON.
// Nothing here comes from the service's code: key resolution follows did:web (the JWS kid is a
// DID URL naming a verification method that assertionMethod lists), the signature is checked by
// jose, the JSON-LD by jsonld's safe mode (every term defined by the vendored contexts), the
// status bit by gunzip of the multibase base64url encodedList (index 0 = leftmost bit).
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import jsonld from "jsonld";
import { gunzipSync } from "node:zlib";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => { text += chunk; });
  process.stdin.on("end", () => resolve(text));
}));
const errors = [];
const decoder = new TextDecoder();

async function verifyVcJwt(token, didDocument) {
  const header = decodeProtectedHeader(token);
  if (header.typ !== "vc+jwt") errors.push(`typ is ${header.typ}`);
  const [did] = String(header.kid).split("#");
  if (did !== didDocument.id) throw new Error(`kid ${header.kid} is not a method of ${didDocument.id}`);
  if (!didDocument.assertionMethod.includes(header.kid)) throw new Error(`${header.kid} is not an assertionMethod`);
  const method = didDocument.verificationMethod.find((m) => m.id === header.kid);
  if (!method) throw new Error(`no verification method ${header.kid}`);
  const key = await importJWK(method.publicKeyJwk, header.alg);
  const { payload } = await compactVerify(token, key, { algorithms: ["EdDSA"] });
  const claims = JSON.parse(decoder.decode(payload));
  const issuer = typeof claims.issuer === "string" ? claims.issuer : claims.issuer?.id;
  if (claims.iss !== undefined && claims.iss !== issuer) errors.push("iss does not match issuer");
  if (issuer !== did) errors.push("issuer is not the key's DID");
  return claims;
}

async function checkJsonLd(claims) {
  const { iss, iat, ...document } = claims;  // JWT claims are not part of the JSON-LD document
  const documentLoader = async (url) => {
    const found = input.contexts[url];
    if (!found) throw new Error(`context not vendored: ${url}`);
    return { contextUrl: null, documentUrl: url, document: found };
  };
  await jsonld.expand(document, { documentLoader, safe: true });  // throws on any dropped term
}

const result = { ok: false, revoked: null, errors };
try {
  const credential = await verifyVcJwt(input.credential, input.did_document);
  await checkJsonLd(credential);
  const entry = credential.credentialStatus;
  const statusList = await verifyVcJwt(input.status_list, input.did_document);
  await checkJsonLd(statusList);
  if (statusList.id !== entry.statusListCredential) errors.push("status list id differs");
  const encoded = statusList.credentialSubject.encodedList;
  if (!encoded.startsWith("u")) errors.push("encodedList is not multibase base64url");
  const bits = gunzipSync(Buffer.from(encoded.slice(1), "base64url"));
  const index = Number.parseInt(entry.statusListIndex, 10);
  result.list_bits = bits.length * 8;
  result.revoked = ((bits[index >> 3] >> (7 - (index & 7))) & 1) === 1;
  result.subject_hours = credential.credentialSubject.creditsEarned;
  result.ok = errors.length === 0;
} catch (error) {
  const detail = error && error.details ? ` ${JSON.stringify(error.details.event ? error.details.event.details ?? error.details.event.code : error.details).slice(0, 300)}` : "";
  errors.push(String(error && error.message ? error.message : error) + detail);
}
process.stdout.write(JSON.stringify(result));
