// sigstore-js checks a bundle vouch wrote: `node verify.mjs BUNDLE TRUSTED_ROOT IDENTITY ISSUER [ARTIFACT]`.
// Exit 0 and "verified" when the bundle verifies against the trusted root with that
// certificate identity and issuer (at least one log entry, one SCT, one timestamp);
// exit 1 with the error otherwise. Used by tests/it/interop.rs.
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const [bundlePath, rootPath, identity, issuer, artifactPath] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root), {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  });
  const artifact = artifactPath ? readFileSync(artifactPath) : undefined;
  const signer = verifier.verify(toSignedEntity(bundle, artifact), {
    subjectAlternativeName: identity,
    extensions: { issuer },
  });
  console.log(`verified ${signer.identity?.subjectAlternativeName}`);
} catch (error) {
  console.error(`sigstore-js: ${error.message ?? error}`);
  process.exit(1);
}
