// sehat's interop harness around DIVOC's published signer library (npm
// certificate-signer-library@2.0.5, vaccination-context@1.1.0). Our own code; it only calls the
// library's exported functions.
//
//   node divoc.js sign <out.json>
//       signs a sample sehat-shaped credential with a fresh Ed25519 key, writes
//       {credential, publicKeyBase58, verificationMethod} to <out.json>
//   node divoc.js verify <signed.json> <publicKeyBase58> <verificationMethod>
//       exit 0 when DIVOC's verifier accepts the credential, 1 when it refuses it
//   node divoc.js unzip-qr <qr-text-file> <out.json>
//       reads a QR code's text as DIVOC's verification app does (code points back to bytes,
//       JSZip), writes the certificate.json inside it to <out.json>
//   node divoc.js verify-jws <compact-jws> <publicKeyBase58>
//       exit 0 when Node's own Ed25519 (OpenSSL) accepts the EdDSA JWS, 1 when it refuses it
//
// DIVOC's library logs every document it loads to stdout, so results go to files and exit codes.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const bs58 = require('bs58');
const {vaccinationContext, vaccinationContextV2} = require('vaccination-context');
const signer = require('certificate-signer-library/signer');

const V1 = 'https://cowin.gov.in/credentials/vaccination/v1';
const V2 = 'https://cowin.gov.in/credentials/vaccination/v2';

function configure(verificationMethod, publicKeyBase58, privateKeyBase58) {
  signer.setDocumentLoader({[V1]: vaccinationContext, [V2]: vaccinationContextV2}, {
    CERTIFICATE_DID: verificationMethod,
    CERTIFICATE_PUBKEY_ID: 'https://sehat.example.org/keys/test',
    CERTIFICATE_CONTROLLER_ID: 'did:web:sehat.example.org',
    keyType: signer.KeyType.ED25519,
    publicKeyBase58,
    privateKeyBase58,
  });
}

function sampleCredential() {
  return {
    '@context': ['https://www.w3.org/2018/credentials/v1', V1],
    type: ['VerifiableCredential', 'ProofOfVaccinationCredential'],
    credentialSubject: {
      type: 'Person',
      id: 'did:web:sehat.example.org:12345678901234',
      refId: '12345678901234',
      name: 'Asha Devi',
      gender: 'Female',
      age: '34',
      nationality: 'Indian',
      address: {
        streetAddress: '12, MG Road', streetAddress2: '', district: 'Bengaluru Urban',
        city: 'Bengaluru', addressRegion: 'Karnataka', addressCountry: 'IN', postalCode: '560001',
      },
    },
    issuer: 'https://sehat.example.org/',
    issuanceDate: '2026-03-01T10:00:00.000Z',
    evidence: [{
      id: 'https://sehat.example.org/vaccine/900000001',
      infoUrl: 'https://sehat.example.org/learn/900000001',
      feedbackUrl: 'https://sehat.example.org/feedback/900000001',
      certificateId: '900000001',
      type: ['Vaccination'],
      batch: 'KA1234',
      vaccine: 'COVISHIELD',
      manufacturer: 'Serum Institute of India',
      date: '2026-02-28T09:30:00.000Z',
      effectiveStart: '2026-02-28',
      effectiveUntil: '2027-02-28',
      dose: 1,
      totalDoses: 2,
      verifier: {name: 'Ravi Kumar'},
      facility: {
        name: 'PHC Jayanagar',
        address: {
          streetAddress: '4th Block', streetAddress2: '', district: 'Bengaluru Urban',
          city: 'Bengaluru', addressRegion: 'Karnataka', addressCountry: 'IN', postalCode: '560011',
        },
      },
    }],
    nonTransferable: 'true',
  };
}

async function sign(out) {
  const {publicKey, privateKey} = crypto.generateKeyPairSync('ed25519');
  const pub = publicKey.export({format: 'jwk'});
  const priv = privateKey.export({format: 'jwk'});
  const pubBytes = Buffer.from(pub.x, 'base64url');
  const seed = Buffer.from(priv.d, 'base64url');
  const publicKeyBase58 = bs58.encode(pubBytes);
  // crypto-ld's Ed25519KeyPair takes the 64-byte secret key (seed ‖ public key).
  const privateKeyBase58 = bs58.encode(Buffer.concat([seed, pubBytes]));
  const verificationMethod = 'did:web:sehat.example.org#divoc-test';
  configure(verificationMethod, publicKeyBase58, privateKeyBase58);
  const credential = await signer.signJSON(sampleCredential());
  fs.writeFileSync(out, JSON.stringify({credential, publicKeyBase58, verificationMethod}, null, 2) + '\n');
}

async function verify(file, publicKeyBase58, verificationMethod) {
  configure(verificationMethod, publicKeyBase58, '');
  const credential = JSON.parse(fs.readFileSync(file, 'utf8'));
  const result = await signer.verifyJSON(credential);
  process.stderr.write(`divoc verified: ${result.verified}\n`);
  if (!result.verified) {
    process.stderr.write(JSON.stringify(result.error || result, null, 2) + '\n');
  }
  process.exit(result.verified ? 0 : 1);
}

async function unzipQr(textFile, out) {
  const JSZip = require('jszip');
  // The QR library UTF-8-encoded the zip's "binary string": each code point is one byte.
  const bytes = Buffer.from(fs.readFileSync(textFile, 'utf8'), 'latin1');
  const zip = await JSZip.loadAsync(bytes);
  const entry = zip.file('certificate.json');
  if (!entry) {
    process.stderr.write('no certificate.json in the zip\n');
    process.exit(1);
  }
  fs.writeFileSync(out, await entry.async('string'));
}

async function verifyJws(jws, publicKeyBase58) {
  const [header, payload, signature] = jws.split('.');
  const x = Buffer.from(bs58.decode(publicKeyBase58)).toString('base64url');
  const key = crypto.createPublicKey({key: {kty: 'OKP', crv: 'Ed25519', x}, format: 'jwk'});
  const ok = crypto.verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
  process.exit(ok ? 0 : 1);
}

const [command, ...args] = process.argv.slice(2);
const commands = {sign, verify, 'unzip-qr': unzipQr, 'verify-jws': verifyJws};
const run = commands[command] ? commands[command](...args) : null;
if (!run) {
  process.stderr.write('usage: divoc.js sign OUT | verify FILE PUBLIC_KEY_BASE58 VERIFICATION_METHOD | unzip-qr TEXT_FILE OUT | verify-jws JWS PUBLIC_KEY_BASE58\n');
  process.exit(2);
}
run.catch((e) => { process.stderr.write(`${e.stack || e}\n`); process.exit(2); });
